package net.driploop.email.delivery;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.model.command.SendEmail;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The delivery ledger ({@code email.deliveries}), the per-user send counters, deleted users and the durable
 * retry schedule. Every method runs on the caller's connection, so in the caller's transaction.
 */
@ApplicationScoped
public class DeliveryLedger {

    /**
     * The whole claim in one statement: the ledger row (already {@code sending}, a duplicate id inserts nothing),
     * the deletion check, and the counted send, made only for a new row of a live user that can be sent
     * ($13) and only while under the limit ($11, null = none). Data-modifying CTEs share one snapshot, and
     * the counter upsert locks its row, so concurrent claims cannot both pass a limit.
     */
    private static final String CLAIM = """
            WITH claimed AS (
                INSERT INTO email.deliveries (command_id, ce_id, app_id, external_user_id, flow_id, execution_id,
                    step_id, correlation_id, recipient, status, attempts, counted, sending_until)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'sending', 1, $13, now() + make_interval(secs => $12))
                ON CONFLICT (command_id) DO NOTHING
                RETURNING command_id),
            deleted AS (
                SELECT 1 FROM email.deleted_users WHERE app_id = $3 AND external_user_id = $4
                AND (reactivated_at IS NULL OR $10::timestamptz IS NULL OR deleted_at >= $10::timestamptz)),
            counted AS (
                INSERT INTO email.send_counts AS c (app_id, external_user_id, flow_id, step_id, sent)
                SELECT $3, $4, $5, $7, 1
                WHERE $13::boolean AND EXISTS (SELECT 1 FROM claimed) AND NOT EXISTS (SELECT 1 FROM deleted)
                    AND ($11::integer IS NULL OR $11::integer >= 1)
                ON CONFLICT (app_id, external_user_id, flow_id, step_id)
                DO UPDATE SET sent = c.sent + 1 WHERE $11::integer IS NULL OR c.sent < $11::integer
                RETURNING sent)
            SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, EXISTS (SELECT 1 FROM deleted) AS deleted,
                EXISTS (SELECT 1 FROM counted) AS counted""";

    /** Deleted and not registered again, or deleted after the command was requested ($3, null = unknown). */
    private static final String IS_DELETED = """
            SELECT 1 FROM email.deleted_users WHERE app_id = $1 AND external_user_id = $2
            AND (reactivated_at IS NULL OR $3::timestamptz IS NULL OR deleted_at >= $3::timestamptz)""";

    private static final String UNCOUNT_SEND = """
            UPDATE email.send_counts SET sent = greatest(sent - 1, 0)
            WHERE app_id = $1 AND external_user_id = $2 AND flow_id = $3 AND step_id = $4""";

    private static final String START_SENDING = """
            UPDATE email.deliveries SET status = 'sending', attempts = attempts + 1, counted = true,
                sending_until = now() + make_interval(secs => $2), updated_at = now()
            WHERE command_id = $1 AND status = 'retrying'
            RETURNING attempts""";

    private static final String STATUS = "SELECT status FROM email.deliveries WHERE command_id = $1";

    private static final String FINISH = """
            UPDATE email.deliveries SET status = $2, reason = $3, message_id = coalesce($4, message_id),
                last_error = $5, sending_until = NULL, updated_at = now()
            WHERE command_id = $1 AND status = ANY($6)
            RETURNING counted""";

    private static final String SCHEDULE_RETRY = """
            INSERT INTO email.retries (command_id, ce_id, command, attempt, due_at, last_error)
            VALUES ($1, $6, $2, $3, $4, $5)
            ON CONFLICT (command_id) DO UPDATE SET command = excluded.command, attempt = excluded.attempt,
                due_at = excluded.due_at, last_error = excluded.last_error""";

    private static final String DELETE_RETRY = "DELETE FROM email.retries WHERE command_id = $1";

    private static final String CLAIM_DUE_RETRIES = """
            UPDATE email.retries r SET due_at = now() + make_interval(secs => $2)
            FROM (SELECT command_id FROM email.retries WHERE due_at <= now()
                  ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
            WHERE r.command_id = due.command_id
            RETURNING r.command_id, r.ce_id, r.command""";

    private static final String EXPIRE_STALE_SENDS = """
            UPDATE email.deliveries d SET status = 'uncertain', reason = 'outcome_unknown', sending_until = NULL,
                updated_at = now()
            FROM (SELECT command_id FROM email.deliveries WHERE status = 'sending' AND sending_until < now()
                  ORDER BY sending_until LIMIT $1 FOR UPDATE SKIP LOCKED) stale
            WHERE d.command_id = stale.command_id
            RETURNING d.command_id, d.app_id, d.external_user_id, d.flow_id, d.execution_id, d.step_id,
                d.correlation_id, d.attempts""";

    private static final String DELETE_RETRIES = "DELETE FROM email.retries WHERE command_id = ANY($1)";

    /** A delivery whose send outcome is unknown (found {@code sending} after its lease). */
    public record Stale(String commandId, String appId, String externalUserId, String flowId, String executionId,
            String stepId, String correlationId, int attempts) {
    }

    /** A retry claimed by this replica: the command id and the command as JSON. */
    public record DueRetry(String commandId, String ceId, String command) {
    }

    /** What {@link #claim} found: a new id, a deleted user, a send counted under the limit. */
    public record Claim(boolean claimed, boolean deleted, boolean counted) {
    }

    /**
     * Claims the command id (the row starts {@code sending}, attempt 1) and, if {@code sendable} and the user is
     * live, counts the send under {@code limit} (null: no limit). The caller moves the row on when it is not to
     * be sent.
     */
    public Uni<Claim> claim(SqlClient sql, SendEmail command, String ceId, boolean sendable, Integer limit,
            Duration lease) {
        OffsetDateTime requestedAt = command.requestedAt() == null ? null
                : OffsetDateTime.ofInstant(command.requestedAt(), java.time.ZoneOffset.UTC);
        return sql.preparedQuery(CLAIM)
                .execute(Tuple.from(Arrays.asList(command.id(), ceId, command.appId(), command.externalUserId(),
                        flow(command), command.executionId(), step(command), command.correlationId(), command.to(),
                        requestedAt, limit, (double) lease.toSeconds(), sendable)))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new Claim(row.getBoolean("claimed"), row.getBoolean("deleted"), row.getBoolean("counted"));
                });
    }

    /**
     * Whether the command's user is deleted for it: a user.deleted event has reached the worker and the user
     * was not registered again since, or was deleted after the command was requested.
     */
    public Uni<Boolean> isDeleted(SqlClient sql, SendEmail command) {
        OffsetDateTime requestedAt = command.requestedAt() == null ? null
                : OffsetDateTime.ofInstant(command.requestedAt(), java.time.ZoneOffset.UTC);
        return sql.preparedQuery(IS_DELETED).execute(Tuple.of(command.appId(), command.externalUserId(), requestedAt))
                .map(rows -> rows.size() > 0);
    }

    /** Gives back a counted send that did not happen (a permanent failure). */
    public Uni<Void> uncountSend(SqlClient sql, SendEmail command) {
        return sql.preparedQuery(UNCOUNT_SEND)
                .execute(Tuple.of(command.appId(), command.externalUserId(), flow(command), step(command)))
                .replaceWithVoid();
    }

    /** Marks a delivery waiting for a retry {@code sending} (committed before SMTP); the attempt number, or null. */
    public Uni<Integer> startSending(SqlClient sql, String commandId, Duration lease) {
        return sql.preparedQuery(START_SENDING).execute(Tuple.of(commandId, (double) lease.toSeconds()))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getInteger("attempts"));
    }

    /** The delivery's status, or null if unknown. */
    public Uni<String> status(SqlClient sql, String commandId) {
        return sql.preparedQuery(STATUS).execute(Tuple.of(commandId))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("status"));
    }

    /**
     * Moves the delivery to {@code status} if it is in one of {@code from}; returns whether it moved and whether
     * a send had been counted for it (null: it was not in any of {@code from}).
     */
    public Uni<Boolean> finish(SqlClient sql, String commandId, String status, String reason, String messageId,
            String lastError, String... from) {
        return sql.preparedQuery(FINISH)
                .execute(Tuple.from(Arrays.asList(commandId, status, reason, messageId,
                        lastError, from)))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getBoolean("counted"));
    }

    /** Stores (or moves) the command's next attempt. */
    public Uni<Void> scheduleRetry(SqlClient sql, String commandId, String ceId, String commandJson, int attempt,
            OffsetDateTime due, String lastError) {
        return sql.preparedQuery(SCHEDULE_RETRY)
                .execute(Tuple.from(Arrays.asList(commandId, commandJson, attempt, due, lastError, ceId)))
                .replaceWithVoid();
    }

    public Uni<Void> deleteRetry(SqlClient sql, String commandId) {
        return sql.preparedQuery(DELETE_RETRY).execute(Tuple.of(commandId)).replaceWithVoid();
    }

    /** Claims due retries with a fresh lease ({@code FOR UPDATE SKIP LOCKED}: replicas share them, never twice at once). */
    public Uni<List<DueRetry>> claimDueRetries(SqlClient sql, int limit, Duration lease) {
        return sql.preparedQuery(CLAIM_DUE_RETRIES).execute(Tuple.of(limit, (double) lease.toSeconds()))
                .map(rows -> {
                    List<DueRetry> out = new ArrayList<>();
                    rows.forEach(row -> out.add(new DueRetry(row.getString("command_id"), row.getString("ce_id"),
                            row.getString("command"))));
                    return out;
                });
    }

    /** Marks deliveries left {@code sending} past their lease as {@code uncertain}, and drops their retries. */
    public Uni<List<Stale>> expireStaleSends(SqlClient sql, int limit) {
        return sql.preparedQuery(EXPIRE_STALE_SENDS).execute(Tuple.of(limit))
                .map(DeliveryLedger::stale)
                .flatMap(stale -> stale.isEmpty() ? Uni.createFrom().item(stale)
                        : sql.preparedQuery(DELETE_RETRIES)
                                .execute(Tuple.of(stale.stream().map(Stale::commandId).toArray(String[]::new)))
                                .replaceWith(stale));
    }

    private static List<Stale> stale(RowSet<Row> rows) {
        List<Stale> out = new ArrayList<>();
        for (Row row : rows) {
            out.add(new Stale(row.getString("command_id"), row.getString("app_id"), row.getString("external_user_id"),
                    row.getString("flow_id"), row.getString("execution_id"), row.getString("step_id"),
                    row.getString("correlation_id"), row.getInteger("attempts")));
        }
        return out;
    }

    private static String flow(SendEmail command) {
        return command.flowId() == null ? "" : command.flowId();
    }

    private static String step(SendEmail command) {
        return command.stepId() == null ? "" : command.stepId();
    }
}
