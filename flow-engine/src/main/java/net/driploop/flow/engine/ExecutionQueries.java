package net.driploop.flow.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a user's executions with their step history, for the admin API. */
@ApplicationScoped
class ExecutionQueries {

    /** Most executions one answer lists, newest first. */
    static final int LIMIT = 100;

    /** One step an execution went through. */
    record StepView(int seq, String stepId, String type, String status, Instant startedAt, Instant endedAt,
            JsonNode detail) {
    }

    /** One execution as the admin API shows it. */
    record ExecutionView(String id, String appId, String flowId, int flowVersion, String externalUserId, String status,
            String currentStep, String correlationId, Instant startedAt, Instant updatedAt, Instant endedAt,
            String endReason, List<StepView> steps) {
    }

    private final Pool pool;
    private final ObjectMapper mapper;

    ExecutionQueries(Pool pool, ObjectMapper mapper) {
        this.pool = pool;
        this.mapper = mapper;
    }

    /** The user's executions in the app, newest first, each with its steps in order. */
    Uni<List<ExecutionView>> forUser(String appId, String externalUserId) {
        return pool.preparedQuery("""
                        SELECT id, flow_id, flow_version, status, current_step, correlation_id, started_at, updated_at,
                            ended_at, end_reason
                        FROM flow.executions WHERE app_id = $1 AND external_user_id = $2
                        ORDER BY started_at DESC, id DESC LIMIT $3""")
                .execute(Sql.params(appId, externalUserId, LIMIT))
                .flatMap(rows -> {
                    List<Row> executions = Sql.list(rows);
                    String[] ids = executions.stream().map(row -> row.getString("id")).toArray(String[]::new);
                    if (ids.length == 0) {
                        return Uni.createFrom().item(List.<ExecutionView>of());
                    }
                    return pool.preparedQuery("""
                                    SELECT s.execution_id, s.seq, s.step_id, s.type, s.status, s.started_at, s.ended_at,
                                        s.detail::text AS detail
                                    FROM flow.execution_steps s JOIN flow.executions e ON e.id = s.execution_id
                                    WHERE e.app_id = $1 AND s.execution_id = ANY($2)
                                    ORDER BY s.execution_id, s.seq""")
                            .execute(Sql.params(appId, ids))
                            .map(stepRows -> {
                                Map<String, List<StepView>> steps = new LinkedHashMap<>();
                                for (Row row : stepRows) {
                                    steps.computeIfAbsent(row.getString("execution_id"), k -> new ArrayList<>())
                                            .add(new StepView(row.getInteger("seq"), row.getString("step_id"),
                                                    row.getString("type"), row.getString("status"),
                                                    instant(row, "started_at"), instant(row, "ended_at"),
                                                    read(row.getString("detail"))));
                                }
                                return executions.stream().map(row -> new ExecutionView(row.getString("id"), appId,
                                        row.getString("flow_id"), row.getInteger("flow_version"), externalUserId,
                                        row.getString("status"), row.getString("current_step"),
                                        row.getString("correlation_id"), instant(row, "started_at"),
                                        instant(row, "updated_at"), instant(row, "ended_at"), row.getString("end_reason"),
                                        steps.getOrDefault(row.getString("id"), List.of()))).toList();
                            });
                });
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    private JsonNode read(String json) {
        try {
            return json == null ? null : mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
