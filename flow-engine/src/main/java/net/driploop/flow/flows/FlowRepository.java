package net.driploop.flow.flows;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.flow.definition.FlowDefinition;
import net.driploop.kit.http.JsonCodec;
import net.driploop.model.Ids;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Flows and their versions; a version, once stored, never changes. Every query is scoped by app. */
@ApplicationScoped
public class FlowRepository {

    public static final String ACTIVE = "active";
    public static final String INACTIVE = "inactive";

    private static final String COLUMNS =
            "id, app_id, name, status, version, trigger_type, trigger_event, created_at, updated_at";

    // One statement each, so the flow row and its version row are written together or not at all.
    private static final String INSERT = """
            WITH f AS (
                INSERT INTO flow.flows (id, app_id, name, status, version, trigger_type, trigger_event,
                                        created_at, updated_at)
                VALUES ($1, $2, $3, 'draft', 1, $4, $5, $6, $6)
                RETURNING %1$s),
            v AS (
                INSERT INTO flow.flow_versions (flow_id, version, definition, created_at)
                SELECT id, version, $7::text::jsonb, $6 FROM f
                RETURNING definition)
            SELECT f.*, v.definition::text AS definition FROM f, v""".formatted(COLUMNS);

    // The row lock of the UPDATE serializes concurrent new versions of one flow.
    private static final String NEW_VERSION = """
            WITH f AS (
                UPDATE flow.flows SET version = version + 1, name = $3, trigger_type = $4, trigger_event = $5,
                                      updated_at = $6
                WHERE id = $1 AND app_id = $2
                RETURNING %1$s),
            v AS (
                INSERT INTO flow.flow_versions (flow_id, version, definition, created_at)
                SELECT id, version, $7::text::jsonb, $6 FROM f
                RETURNING definition)
            SELECT f.*, v.definition::text AS definition FROM f, v""".formatted(COLUMNS);

    private static final String FIND = """
            SELECT f.id, f.app_id, f.name, f.status, f.version, f.trigger_type, f.trigger_event, f.created_at,
                   f.updated_at, v.definition::text AS definition
            FROM flow.flows f JOIN flow.flow_versions v ON v.flow_id = f.id AND v.version = f.version
            WHERE f.id = $1 AND f.app_id = $2""";

    private final Pool pool;
    private final JsonCodec json;

    public FlowRepository(Pool pool, JsonCodec json) {
        this.pool = pool;
        this.json = json;
    }

    /** A flow's trigger as the admin API shows it; {@code event} only for {@code activity.event}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Trigger(String type, String event) {
    }

    /** A flow as the admin API shows it, with its latest version's definition (null in lists). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Flow(String id, String appId, String name, String status, int version, Trigger trigger,
            Map<String, Object> definition, Instant createdAt, Instant updatedAt) {
    }

    /** Stores a new flow as a draft at version 1 with the definition as submitted. */
    public Uni<Flow> create(String appId, FlowDefinition parsed, JsonNode definition, Instant now) {
        return pool.preparedQuery(INSERT)
                .execute(versionParams(Ids.newId(Ids.FLOW), appId, parsed, definition, now))
                .map(rows -> flow(rows.iterator().next(), true));
    }

    /** The app's flows in creation order, without their definitions. */
    public Uni<List<Flow>> list(String appId) {
        return pool.preparedQuery("SELECT " + COLUMNS + " FROM flow.flows WHERE app_id = $1 ORDER BY created_at, id")
                .execute(Tuple.of(appId))
                .map(rows -> {
                    List<Flow> out = new ArrayList<>();
                    rows.forEach(row -> out.add(flow(row, false)));
                    return out;
                });
    }

    /** The flow with its latest definition, if it belongs to the app. */
    public Uni<Optional<Flow>> find(String appId, String flowId) {
        return pool.preparedQuery(FIND).execute(Tuple.of(flowId, appId)).map(this::first);
    }

    /** Stores the definition as the flow's next version (status unchanged); empty for an unknown flow. */
    public Uni<Optional<Flow>> newVersion(String appId, String flowId, FlowDefinition parsed, JsonNode definition,
            Instant now) {
        return pool.preparedQuery(NEW_VERSION)
                .execute(versionParams(flowId, appId, parsed, definition, now))
                .map(this::first);
    }

    /** Sets the status (a repeated change keeps {@code updatedAt}); empty for an unknown flow. */
    public Uni<Optional<Flow>> setStatus(String appId, String flowId, String status, Instant now) {
        // Two statements in one transaction: the second sees a version committed while the first waited.
        return pool.withTransaction(conn -> conn.preparedQuery("UPDATE flow.flows SET status = $3, "
                                + "updated_at = CASE WHEN status = $3 THEN updated_at ELSE $4 END "
                                + "WHERE id = $1 AND app_id = $2 RETURNING id")
                        .execute(Tuple.of(flowId, appId, status, utc(now)))
                        .flatMap(rows -> rows.size() == 0 ? Uni.createFrom().item(Optional.<Flow>empty())
                                : conn.preparedQuery(FIND).execute(Tuple.of(flowId, appId)).map(this::first)));
    }

    /** $1 flow id, $2 app id, $3 name, $4 trigger type, $5 trigger event, $6 time, $7 definition. */
    private Tuple versionParams(String flowId, String appId, FlowDefinition parsed, JsonNode definition, Instant now) {
        return Tuple.tuple().addValue(flowId).addValue(appId).addValue(parsed.name())
                .addValue(parsed.trigger().type().wire()).addValue(parsed.trigger().event()).addValue(utc(now))
                .addValue(json.write(definition));
    }

    private Optional<Flow> first(RowSet<Row> rows) {
        return rows.size() == 0 ? Optional.empty() : Optional.of(flow(rows.iterator().next(), true));
    }

    private Flow flow(Row row, boolean withDefinition) {
        return new Flow(row.getString("id"), row.getString("app_id"), row.getString("name"), row.getString("status"),
                row.getInteger("version"), new Trigger(row.getString("trigger_type"), row.getString("trigger_event")),
                withDefinition ? json.readMap(row.getString("definition")) : null,
                row.getOffsetDateTime("created_at").toInstant(), row.getOffsetDateTime("updated_at").toInstant());
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
