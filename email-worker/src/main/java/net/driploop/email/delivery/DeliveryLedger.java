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
     * The claim of a batch of commands in one statement: their ledger rows (already {@code sending}; an id
     * already there inserts nothing), the deletion check, and the counted sends, made only for new rows of live
     * users that can be sent and only while under the limit ({@code lim}, null = none, compared through the
     * proposed row's {@code last_limit}). Data-modifying CTEs share
     * one snapshot, and the counter upsert locks its row, so concurrent claims cannot both pass a limit. One
     * statement must not touch a counter row twice: the caller never puts two commands of one user and step in a
     * batch. Rows are inserted and counters locked in key order, so that two batches never wait on each other in
     * a cycle. Returns, per input row in order, whether it was claimed, the user deleted, the send counted.
     */
    private static final String CLAIM = """
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::text[], $9::text[], $10::timestamptz[], $11::integer[], $12::boolean[]) WITH ORDINALITY
                    AS i(command_id, ce_id, app_id, external_user_id, flow_id, execution_id, step_id, correlation_id,
                         recipient, requested_at, lim, sendable, ord)),
            claimed AS (
                INSERT INTO email.deliveries (command_id, ce_id, app_id, external_user_id, flow_id, execution_id,
                    step_id, correlation_id, recipient, status, attempts, counted, sending_until)
                SELECT command_id, ce_id, app_id, external_user_id, flow_id, execution_id, step_id, correlation_id,
                    recipient, 'sending', 1, sendable, now() + make_interval(secs => $13)
                FROM input ORDER BY command_id
                ON CONFLICT (command_id) DO NOTHING
                RETURNING command_id),
            deleted AS (
                SELECT i.command_id FROM input i JOIN email.deleted_users d
                    ON d.app_id = i.app_id AND d.external_user_id = i.external_user_id
                WHERE d.reactivated_at IS NULL OR i.requested_at IS NULL OR d.deleted_at >= i.requested_at),
            counted AS (
                INSERT INTO email.send_counts AS c (app_id, external_user_id, flow_id, step_id, sent, last_limit)
                SELECT app_id, external_user_id, flow_id, step_id, 1, lim FROM input
                WHERE sendable AND (lim IS NULL OR lim >= 1)
                    AND command_id IN (SELECT command_id FROM claimed) AND command_id NOT IN (SELECT command_id FROM deleted)
                ORDER BY app_id, external_user_id, flow_id, step_id
                ON CONFLICT (app_id, external_user_id, flow_id, step_id)
                DO UPDATE SET sent = c.sent + 1, last_limit = excluded.last_limit
                WHERE excluded.last_limit IS NULL OR c.sent < excluded.last_limit
                RETURNING app_id, external_user_id, flow_id, step_id)
            SELECT i.command_id IN (SELECT command_id FROM claimed) AS claimed,
                i.command_id IN (SELECT command_id FROM deleted) AS deleted,
                (i.app_id, i.external_user_id, i.flow_id, i.step_id) IN (SELECT * FROM counted) AS counted
            FROM input i ORDER BY i.ord""";

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

    /** {@link #FINISH} for a batch of deliveries, without the counted flags. */
    private static final String FINISH_ALL = """
            UPDATE email.deliveries d SET status = u.status, reason = u.reason,
                message_id = coalesce(u.message_id, d.message_id), last_error = u.last_error, sending_until = NULL,
                updated_at = now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                AS u(command_id, status, reason, message_id, last_error)
            WHERE d.command_id = u.command_id AND d.status = ANY($6)""";

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

    /** A command to claim: whether it can be sent at all (a recipient, a template that parses) and its limit (null: none). */
    public record ClaimRequest(SendEmail command, String ceId, boolean sendable, Integer limit) {
    }

    /** What {@link #claim} found for one command: a new id, a deleted user, a send counted under the limit. */
    public record Claim(boolean claimed, boolean deleted, boolean counted) {
    }

    /** A delivery to move on: its new status, reason, Message-ID and last error (each may be null but the status). */
    public record Finish(String commandId, String status, String reason, String messageId, String lastError) {
    }

    /**
     * Claims the commands' ids (each row starts {@code sending}, attempt 1) and, for those {@code sendable} whose
     * user is live, counts the send under the limit. The caller moves on the rows that are not to be sent.
     */
    public Uni<List<Claim>> claim(SqlClient sql, List<ClaimRequest> requests, Duration lease) {
        int n = requests.size();
        String[][] text = new String[9][n];
        OffsetDateTime[] requestedAt = new OffsetDateTime[n];
        Integer[] limits = new Integer[n];
        Boolean[] sendable = new Boolean[n];
        for (int i = 0; i < n; i++) {
            ClaimRequest request = requests.get(i);
            SendEmail command = request.command();
            text[0][i] = command.id();
            text[1][i] = request.ceId();
            text[2][i] = command.appId();
            text[3][i] = command.externalUserId();
            text[4][i] = flow(command);
            text[5][i] = command.executionId();
            text[6][i] = step(command);
            text[7][i] = command.correlationId();
            text[8][i] = command.to();
            requestedAt[i] = command.requestedAt() == null ? null
                    : OffsetDateTime.ofInstant(command.requestedAt(), java.time.ZoneOffset.UTC);
            limits[i] = request.limit();
            sendable[i] = request.sendable();
        }
        Tuple tuple = Tuple.tuple();
        for (String[] column : text) {
            tuple.addArrayOfString(column);
        }
        tuple.addArrayOfOffsetDateTime(requestedAt).addArrayOfInteger(limits).addArrayOfBoolean(sendable)
                .addDouble((double) lease.toSeconds());
        return sql.preparedQuery(CLAIM).execute(tuple).map(rows -> {
            List<Claim> claims = new ArrayList<>(n);
            for (Row row : rows) {
                claims.add(new Claim(row.getBoolean("claimed"), row.getBoolean("deleted"), row.getBoolean("counted")));
            }
            return claims;
        });
    }

    /** Moves each delivery on as {@code finishes} says, if it is in one of {@code from}. */
    public Uni<Void> finishAll(SqlClient sql, List<Finish> finishes, String... from) {
        if (finishes.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = finishes.size();
        String[][] columns = new String[5][n];
        for (int i = 0; i < n; i++) {
            Finish f = finishes.get(i);
            columns[0][i] = f.commandId();
            columns[1][i] = f.status();
            columns[2][i] = f.reason();
            columns[3][i] = f.messageId();
            columns[4][i] = f.lastError();
        }
        Tuple tuple = Tuple.tuple();
        for (String[] column : columns) {
            tuple.addArrayOfString(column);
        }
        return sql.preparedQuery(FINISH_ALL).execute(tuple.addArrayOfString(from)).replaceWithVoid();
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

    /** Drops the retries of these commands, if any. */
    public Uni<Void> deleteRetries(SqlClient sql, List<String> commandIds) {
        return commandIds.isEmpty() ? Uni.createFrom().voidItem()
                : sql.preparedQuery(DELETE_RETRIES).execute(Tuple.of(commandIds.toArray(String[]::new))).replaceWithVoid();
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
                        : deleteRetries(sql, stale.stream().map(Stale::commandId).toList()).replaceWith(stale));
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
