package net.driploop.flow.trace;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.JsonCodec;
import net.driploop.model.log.AutomationLogEntry;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** The stored automation log ({@code flow.automation_log}): idempotent batch inserts and one correlationId's timeline. */
@ApplicationScoped
public class AutomationLogRepository {

    private static final String COLUMNS = "id, correlation_id, at, service, type, app_id, external_user_id, flow_id, "
            + "execution_id, step_id, detail";

    /** One statement for a whole batch: a column array per parameter, a row per entry; known ids are left alone. */
    private static final String INSERT = "INSERT INTO flow.automation_log (" + COLUMNS + ") "
            + "SELECT r.id, r.correlation_id, r.at, r.service, r.type, r.app_id, r.external_user_id, r.flow_id, "
            + "r.execution_id, r.step_id, r.detail::jsonb "
            + "FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], "
            + "$8::text[], $9::text[], $10::text[], $11::text[]) AS r(" + COLUMNS + ") "
            + "ON CONFLICT (id) DO NOTHING";

    private static final String TIMELINE = "SELECT id, correlation_id, at, service, type, app_id, external_user_id, "
            + "flow_id, execution_id, step_id, detail::text AS detail FROM flow.automation_log "
            + "WHERE correlation_id = $1 ORDER BY at, id";

    private final Pool pool;
    private final JsonCodec json;

    public AutomationLogRepository(Pool pool, JsonCodec json) {
        this.pool = pool;
        this.json = json;
    }

    /**
     * Inserts the entries with one statement, skipping ids already stored; returns how many rows were new. The
     * entries should be sorted by id, so that two replicas inserting the same ids (after a rebalance) take their
     * row locks in the same order and never deadlock.
     */
    public Uni<Integer> insert(List<AutomationLogEntry> entries) {
        int n = entries.size();
        String[] ids = new String[n];
        String[] correlationIds = new String[n];
        OffsetDateTime[] ats = new OffsetDateTime[n];
        String[] services = new String[n];
        String[] types = new String[n];
        String[] appIds = new String[n];
        String[] externalUserIds = new String[n];
        String[] flowIds = new String[n];
        String[] executionIds = new String[n];
        String[] stepIds = new String[n];
        String[] details = new String[n];
        for (int i = 0; i < n; i++) {
            AutomationLogEntry e = entries.get(i);
            ids[i] = e.id();
            correlationIds[i] = e.correlationId();
            ats[i] = OffsetDateTime.ofInstant(e.at(), ZoneOffset.UTC);
            services[i] = e.service();
            types[i] = e.type();
            appIds[i] = e.appId();
            externalUserIds[i] = e.externalUserId();
            flowIds[i] = e.flowId();
            executionIds[i] = e.executionId();
            stepIds[i] = e.stepId();
            details[i] = e.detail() == null ? null : json.write(e.detail());
        }
        return pool.preparedQuery(INSERT)
                .execute(Tuple.from(List.<Object>of(ids, correlationIds, ats, services, types, appIds, externalUserIds,
                        flowIds, executionIds, stepIds, details)))
                .map(rows -> rows.rowCount());
    }

    /** Every entry of one correlationId, in time order (then by id, for entries of the same instant). */
    public Uni<List<AutomationLogEntry>> timeline(String correlationId) {
        return pool.preparedQuery(TIMELINE).execute(Tuple.of(correlationId)).map(rows -> {
            List<AutomationLogEntry> out = new ArrayList<>(rows.size());
            rows.forEach(row -> out.add(entry(row)));
            return out;
        });
    }

    private AutomationLogEntry entry(Row row) {
        String detail = row.getString("detail");
        return new AutomationLogEntry(row.getString("id"), row.getOffsetDateTime("at").toInstant(),
                row.getString("service"), row.getString("type"), row.getString("correlation_id"),
                row.getString("app_id"), row.getString("external_user_id"), row.getString("flow_id"),
                row.getString("execution_id"), row.getString("step_id"), detail == null ? null : json.readMap(detail));
    }
}
