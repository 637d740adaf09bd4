package net.driploop.ingest.activity;

import com.fasterxml.jackson.databind.util.RawValue;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.ApiException;
import net.driploop.kit.http.JsonCodec;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;
import net.driploop.ingest.pipeline.CallContext;
import net.driploop.ingest.pipeline.Operation;
import net.driploop.model.EventTypes;
import net.driploop.model.Ids;
import net.driploop.model.event.Activity;
import net.driploop.model.event.UserActive;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recording activity: the hot path. The user update, the activity row and the outbox rows are one SQL
 * statement (atomic on its own), so an accepted activity costs two round trips with the rate limit.
 * The row lock on the user decides which of several concurrent first events is the first.
 */
@ApplicationScoped
public class ActivityService {

    /** Marks an outbox row written only for the first activity (true), only for a later one (false), or always. */
    private static final String STATEMENT = """
            WITH u AS (
                UPDATE ingest.users t
                SET last_active_at = $3, first_activity_at = COALESCE(t.first_activity_at, $3)
                FROM (SELECT id, first_activity_at FROM ingest.users
                      WHERE app_id = $1 AND external_user_id = $2 AND status = 'active' FOR UPDATE) old
                WHERE t.id = old.id
                RETURNING t.id AS user_id, ingest.user_snapshot(t)::text AS snapshot,
                          old.first_activity_at IS NULL AS is_first
            ), a AS (
                INSERT INTO ingest.activities (id, app_id, user_id, name, metadata, recorded_at, correlation_id)
                SELECT $4, $1, u.user_id, $5, $6::text::jsonb, $3, $7 FROM u
            ), o AS (
                %s
                SELECT %s, $17
                FROM u, %s JOIN unnest($18::bool[]) WITH ORDINALITY AS f(when_first, ord) ON f.ord = r.ord
                WHERE f.when_first IS NULL OR f.when_first = u.is_first
                ORDER BY r.ord
                RETURNING %s
            )
            SELECT u.is_first, o.* FROM u CROSS JOIN o""";
    private static final String WITH_SNAPSHOT = "self";

    private final OutboxWriter outbox;
    private final JsonCodec json;
    private final String record;

    public ActivityService(OutboxWriter outbox, JsonCodec json) {
        this.outbox = outbox;
        this.json = json;
        this.record = STATEMENT.formatted(outbox.insertInto(), OutboxWriter.rowSelect("u.snapshot"),
                OutboxWriter.unnest(8), StoredRecord.COLUMNS);
    }

    /** The response of POST /events/activity. */
    public record RecordedActivity(String id, String event, boolean firstActivity, Instant recordedAt) {
    }

    public Operation record(String externalUserId, String event, Map<String, Object> metadata) {
        return new Operation() {
            @Override
            public io.smallrye.mutiny.Uni<Result> execute(io.vertx.mutiny.sqlclient.SqlClient sql, CallContext ctx) {
                String id = Ids.newId(Ids.ACTIVITY);
                Map<String, Object> activityMetadata = metadata == null ? Map.of() : metadata;
                Activity activity = new Activity(id, event, activityMetadata, ctx.now());
                String appId = ctx.appId();
                // user.first_activity, user.active and activity.recorded have the same fields and values
                // (ActivityEventsTest): their payload is written once, as the JSON text of one of them
                RawValue payload = new RawValue(json.write(new UserActive(appId, externalUserId, null, activity, ctx.now())));
                OutboxRecord first = ctx.event(EventTypes.USER_FIRST_ACTIVITY, externalUserId, payload, WITH_SNAPSHOT);
                OutboxRecord active = ctx.event(EventTypes.USER_ACTIVE, externalUserId, payload, WITH_SNAPSHOT);
                OutboxRecord recorded = ctx.event(EventTypes.ACTIVITY_RECORDED, externalUserId, payload, WITH_SNAPSHOT);
                List<OutboxRecord> logs = apiLogs(json, ctx, externalUserId, first, active, recorded);
                List<OutboxRecord> rows = List.of(first, active, recorded, logs.get(0), logs.get(1));
                Boolean[] whenFirst = {true, null, null, true, false};
                Tuple params = Tuple.tuple()
                        .addValue(appId).addValue(externalUserId)
                        .addValue(OffsetDateTime.ofInstant(ctx.now(), ZoneOffset.UTC))
                        .addValue(id).addValue(event).addValue(json.write(activityMetadata)).addValue(ctx.correlationId());
                outbox.addColumns(params, rows)
                        .addValue(outbox.leaseUntil())
                        .addArrayOfBoolean(whenFirst);
                return sql.preparedQuery(record).execute(params).map(rowSet -> {
                    if (rowSet.size() == 0) {
                        throw ApiException.userNotRegistered(externalUserId);
                    }
                    boolean isFirst = false;
                    List<StoredRecord> stored = new ArrayList<>();
                    for (Row row : rowSet) {
                        isFirst = row.getBoolean("is_first");
                        stored.add(StoredRecord.from(row));
                    }
                    return new Result(201, new RecordedActivity(id, event, isFirst, ctx.now()), stored);
                });
            }

            @Override
            public boolean singleStatement() {
                return true;
            }
        };
    }

    /**
     * The {@code api.request} entry lists the events actually written, so it has a variant for each outcome:
     * with {@code user.first_activity} (the rows marked for a first activity) and without (for a later one). The
     * second is the first's JSON text without that event's element, so the entry is serialized once.
     */
    static List<OutboxRecord> apiLogs(JsonCodec json, CallContext ctx, String externalUserId, OutboxRecord first, OutboxRecord active,
            OutboxRecord recorded) {
        OutboxRecord ifFirst = ctx.apiLog(201, externalUserId, List.of(first, active, recorded));
        String ifFirstJson = json.write(ifFirst.payload());
        String ifLaterJson = ifFirstJson.replace(json.write(CallContext.publishedEvent(first)) + ",", "");
        OutboxRecord ifLater = ifLaterJson.length() < ifFirstJson.length()
                ? ifFirst.withPayload(new RawValue(ifLaterJson))
                : ctx.apiLog(201, externalUserId, List.of(active, recorded)); // not found: written in full
        return List.of(ifFirst.withPayload(new RawValue(ifFirstJson)), ifLater);
    }
}
