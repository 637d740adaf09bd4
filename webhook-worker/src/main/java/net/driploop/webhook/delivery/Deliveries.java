package net.driploop.webhook.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.outbox.DeadLetter;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;
import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CallWebhook;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.log.AutomationLogEntry;
import net.driploop.webhook.config.WebhookConfig;
import net.driploop.webhook.secret.SigningSecrets;
import net.driploop.webhook.secret.WebhookSigner;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The delivery ledger and its attempts. A command is stored once (its id is the dedupe key) and then attempted
 * beside the consumer, never inside it; each attempt's outcome, its DeliveryResult and log entry (and a dead
 * letter when the schedule is spent) commit together, and the retry sweep claims due rows with SKIP LOCKED.
 */
@ApplicationScoped
public class Deliveries {

    public static final String PENDING = "pending";
    public static final String DELIVERED = "delivered";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";

    /** Stores commands once (new rows only); a deleted user's are stored as skipped. Returns each new row's status. */
    private static final String ACCEPT = """
            INSERT INTO webhook.deliveries (id, app_id, external_user_id, correlation_id, command, status, due_at,
                                            source_partition, source_offset, created_at, updated_at)
            SELECT r.id, r.app_id, r.external_user_id, r.correlation_id, r.command,
                   CASE WHEN d.app_id IS NULL THEN 'pending' ELSE 'skipped' END,
                   CASE WHEN d.app_id IS NULL THEN r.due_at END, r.source_partition, r.source_offset, now(), now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::integer[],
                        $8::bigint[])
                 WITH ORDINALITY AS r(id, app_id, external_user_id, correlation_id, command, due_at, source_partition,
                                      source_offset, ord)
            LEFT JOIN webhook.deleted_users d ON d.app_id = r.app_id AND d.external_user_id = r.external_user_id
            ORDER BY r.ord
            ON CONFLICT (id) DO NOTHING
            RETURNING id, status""";
    private static final String IS_DELETED = "SELECT 1 FROM webhook.deleted_users WHERE app_id = $1 AND external_user_id = $2";
    /** Only the attempt that saw {@code attempts} may record the next one: a duplicate attempt records nothing. */
    private static final String FINISH = """
            UPDATE webhook.deliveries SET status = $2, attempts = $3, due_at = $4::timestamptz, last_status = $5::integer,
                                          last_error = $6::text,
                                          updated_at = now()
            WHERE id = $1 AND status = 'pending' AND attempts = $7""";
    private static final String CLAIM = """
            UPDATE webhook.deliveries SET due_at = now() + make_interval(secs => $1), updated_at = now()
            WHERE id IN (SELECT id FROM webhook.deliveries WHERE status = 'pending' AND due_at <= now()
                         ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING id, command, attempts, source_partition, source_offset""";
    private static final String BACKLOG = "SELECT count(*) AS n FROM webhook.deliveries WHERE status = 'pending'";

    private final Pool pool;
    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final ObjectMapper mapper;
    private final RequestRenderer renderer;
    private final SigningSecrets secrets;
    private final WebhookSender sender;
    private final DeliveryMetrics metrics;
    private final RetrySchedule schedule;
    private final WebhookConfig config;
    /** How long an attempt owns its row: its timeouts, and time to record the outcome. */
    private final Duration lease;

    public Deliveries(Pool pool, OutboxWriter outbox, OutboxRelay relay, ObjectMapper mapper, RequestRenderer renderer,
            SigningSecrets secrets, WebhookSender sender, DeliveryMetrics metrics, WebhookConfig config) {
        this.pool = pool;
        this.outbox = outbox;
        this.relay = relay;
        this.mapper = mapper;
        this.renderer = renderer;
        this.secrets = secrets;
        this.sender = sender;
        this.metrics = metrics;
        this.config = config;
        this.schedule = new RetrySchedule(config);
        this.lease = config.connectTimeout().plus(config.responseTimeout()).plusSeconds(10);
    }

    /** A command as read from Kafka: parsed, its JSON as received (stored as-is), and where it was read. */
    public record Received(CallWebhook command, String json, int partition, long offset) {
    }

    /**
     * Stores a batch of commands from Kafka with one statement and, once committed, starts their first attempts
     * while this replica has in-flight room (the others are due at once, for the sweep). Commands seen before
     * change nothing; a deleted user's are stored as skipped, with their results, in the same transaction.
     */
    public Uni<Void> accept(List<Received> batch) {
        // sorted by id, so that two replicas inserting the same ids (after a rebalance) lock rows in the same order
        Map<String, Received> byId = new java.util.TreeMap<>();
        batch.forEach(received -> byId.putIfAbsent(received.command().id(), received));
        List<Received> commands = new ArrayList<>(byId.values());
        int room = Math.max(0, config.maxInFlight() - metrics.inFlight());
        int n = commands.size();
        String[][] columns = new String[5][n];
        OffsetDateTime[] due = new OffsetDateTime[n];
        Integer[] partitions = new Integer[n];
        Long[] offsets = new Long[n];
        OffsetDateTime now = now();
        java.util.Set<String> attemptNow = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            CallWebhook command = commands.get(i).command();
            columns[0][i] = command.id();
            columns[1][i] = command.appId();
            columns[2][i] = command.externalUserId();
            columns[3][i] = command.correlationId();
            columns[4][i] = commands.get(i).json();
            partitions[i] = commands.get(i).partition();
            offsets[i] = commands.get(i).offset();
            boolean startNow = i < room;
            due[i] = startNow ? now.plus(lease) : now;
            if (startNow) {
                attemptNow.add(command.id());
            }
        }
        Uni<Accepted> work = pool.withTransaction(conn -> conn.preparedQuery(ACCEPT)
                .execute(Tuple.from(List.<Object>of(columns[0], columns[1], columns[2], columns[3], columns[4], due,
                        partitions, offsets)))
                .flatMap(rows -> {
                    Map<String, String> status = new java.util.HashMap<>();
                    rows.forEach(row -> status.put(row.getString("id"), row.getString("status")));
                    List<OutboxRecord> skipped = new ArrayList<>();
                    commands.stream().filter(r -> SKIPPED.equals(status.get(r.command().id())))
                            .forEach(r -> skipped.addAll(skippedRecords(r.command())));
                    Uni<List<StoredRecord>> stored = skipped.isEmpty() ? Uni.createFrom().item(List.of())
                            : outbox.insert(conn, skipped);
                    return stored.map(records -> new Accepted(status, records));
                }));
        return relay.publishAfter(work, Accepted::records).invoke(accepted -> {
            for (Received received : commands) {
                String status = accepted.status().get(received.command().id());
                if (SKIPPED.equals(status)) {
                    metrics.skipped();
                } else if (PENDING.equals(status) && attemptNow.contains(received.command().id())) {
                    dispatch(new ClaimedDelivery(received.command().id(), received.json(), 0, received.partition(),
                            received.offset()));
                }
            }
        }).replaceWithVoid();
    }

    private record Accepted(Map<String, String> status, List<StoredRecord> records) {
    }

    /** Claims due deliveries (up to the free in-flight room) and starts their attempts; returns how many. */
    public Uni<Integer> sweep() {
        int room = Math.min(config.sweepBatch(), config.maxInFlight() - metrics.inFlight());
        Uni<Void> backlog = pool.query(BACKLOG).execute()
                .invoke(rows -> metrics.backlog(rows.iterator().next().getLong("n"))).replaceWithVoid();
        if (room <= 0) {
            return backlog.replaceWith(0);
        }
        return backlog.flatMap(ignored -> pool.preparedQuery(CLAIM)
                .execute(Tuple.of((double) lease.toMillis() / 1000, room))
                .map(rows -> {
                    List<ClaimedDelivery> claimed = new ArrayList<>();
                    rows.forEach(row -> claimed.add(new ClaimedDelivery(row.getString("id"), row.getString("command"),
                            row.getInteger("attempts"), row.getInteger("source_partition"), row.getLong("source_offset"))));
                    claimed.forEach(this::dispatch);
                    return claimed.size();
                }));
    }

    /** Starts an attempt that runs on its own: the caller (a partition, a sweep) never waits for a receiver. */
    void dispatch(ClaimedDelivery delivery) {
        metrics.started();
        attempt(delivery).onTermination().invoke(() -> metrics.ended())
                .subscribe().with(ignored -> {
                }, failure -> Log.warnf("attempt of webhook %s could not be recorded; the sweep retries it after %s: %s",
                        delivery.id(), lease, failure.getMessage()));
    }

    /** One attempt: the deletion check, rendering, signing, the guarded send, and the outcome recorded. */
    Uni<Void> attempt(ClaimedDelivery delivery) {
        CallWebhook command;
        try {
            command = mapper.readValue(delivery.command(), CallWebhook.class);
        } catch (Exception e) {
            return Uni.createFrom().failure(new IllegalStateException("stored command is unreadable", e));
        }
        return pool.preparedQuery(IS_DELETED).execute(Tuple.of(command.appId(), command.externalUserId()))
                .flatMap(rows -> rows.size() > 0 ? skip(delivery, command) : send(delivery, command));
    }

    private Uni<Void> send(ClaimedDelivery delivery, CallWebhook command) {
        RenderedRequest request;
        try {
            request = renderer.render(command);
        } catch (IllegalArgumentException e) {
            return finish(delivery, command, AttemptOutcome.refused(e.getMessage()));
        }
        return secrets.signing(command.appId()).flatMap(signing -> {
            long timestamp = Instant.now().getEpochSecond();
            Map<String, String> headers = Map.of("webhook-id", command.id(), "webhook-timestamp",
                    String.valueOf(timestamp), "webhook-signature",
                    WebhookSigner.signature(signing, command.id(), timestamp, request.body()));
            return sender.send(request, headers);
        }).flatMap(outcome -> {
            metrics.attempt(outcome);
            return finish(delivery, command, outcome);
        });
    }

    private Uni<Void> skip(ClaimedDelivery delivery, CallWebhook command) {
        return record(delivery, SKIPPED, null, null, "the user was deleted", skippedRecords(command))
                .invoke(done -> {
                    if (done) {
                        metrics.skipped();
                    }
                }).replaceWithVoid();
    }

    private Uni<Void> finish(ClaimedDelivery delivery, CallWebhook command, AttemptOutcome outcome) {
        int attempt = delivery.attempts() + 1;
        Instant at = Timestamps.now();
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("attempt", attempt);
        if (outcome.status() != 0) {
            detail.put("httpStatus", outcome.status());
        }
        if (outcome.error() != null) {
            detail.put("error", outcome.error());
        }
        detail.put("latencyMs", outcome.latencyMillis());
        Integer status = outcome.status() == 0 ? null : outcome.status();
        if (outcome.delivered()) {
            return record(delivery, DELIVERED, null, status, null,
                    List.of(result(command, DeliveryResult.SENT, detail, at, attempt),
                            log(command, "webhook.delivered", detail, at)))
                    .invoke(done -> metrics.delivered()).replaceWithVoid();
        }
        String error = outcome.error() != null ? outcome.error() : "HTTP " + outcome.status();
        Optional<Duration> next = outcome.permanent() || outcome.gone() ? Optional.empty()
                : schedule.next(attempt, outcome.retryAfter());
        if (next.isPresent()) {
            Instant due = at.plus(next.get());
            detail.put("nextAttemptAt", Timestamps.format(due));
            return record(delivery, PENDING, OffsetDateTime.ofInstant(due, ZoneOffset.UTC), status, error,
                    List.of(result(command, DeliveryResult.RETRYING, detail, at, attempt),
                            log(command, "webhook.failed", detail, at)))
                    .invoke(done -> metrics.retried()).replaceWithVoid();
        }
        if (outcome.gone()) {
            detail.put("reason", "the receiver answered 410 Gone: no more attempts");
        } else if (!outcome.permanent()) {
            detail.put("reason", "no attempts left; sent to " + Topics.dlq(Topics.WEBHOOK_COMMANDS));
        }
        List<OutboxRecord> records = new ArrayList<>(List.of(result(command, DeliveryResult.FAILED, detail, at, attempt),
                log(command, "webhook.failed", detail, at)));
        if (!outcome.permanent() && !outcome.gone()) {
            records.add(DeadLetter.retriesExhausted(Topics.WEBHOOK_COMMANDS, delivery.partition(), delivery.offset(), error,
                    attempt).of(command.id(), CommandTypes.CALL_WEBHOOK, command.appId(), command.externalUserId(),
                    command.correlationId(), delivery.command()));
        }
        return record(delivery, FAILED, null, status, error, records).invoke(done -> metrics.failed()).replaceWithVoid();
    }

    /** Records an attempt's outcome and its outbox rows in one transaction; false if another attempt got there first. */
    private Uni<Boolean> record(ClaimedDelivery delivery, String status, OffsetDateTime due, Integer httpStatus,
            String error, List<OutboxRecord> records) {
        int attempts = SKIPPED.equals(status) ? delivery.attempts() : delivery.attempts() + 1;
        Uni<List<StoredRecord>> work = pool.withTransaction(conn -> conn.preparedQuery(FINISH)
                .execute(Tuple.from(java.util.Arrays.asList(delivery.id(), status, attempts, due, httpStatus, error,
                        delivery.attempts())))
                .flatMap(rows -> rows.rowCount() == 0 ? Uni.createFrom().item(List.<StoredRecord>of())
                        : insert(conn, records)));
        return relay.publishAfter(work, stored -> stored).map(stored -> !stored.isEmpty());
    }

    private Uni<List<StoredRecord>> insert(SqlClient conn, List<OutboxRecord> records) {
        return outbox.insert(conn, records);
    }

    private List<OutboxRecord> skippedRecords(CallWebhook command) {
        Instant at = Timestamps.now();
        Map<String, Object> detail = Map.of("reason", "the user was deleted");
        return List.of(result(command, DeliveryResult.SKIPPED, detail, at, 0), log(command, "webhook.skipped", detail, at));
    }

    private static OutboxRecord result(CallWebhook command, String status, Map<String, Object> detail, Instant at,
            int attempt) {
        DeliveryResult result = new DeliveryResult(command.id(), DeliveryResult.WEBHOOK, status, command.appId(),
                command.externalUserId(), command.flowId(), command.executionId(), command.stepId(), Map.copyOf(detail), at);
        // deterministic: a re-recorded outcome of the same attempt has the same ce_id downstream
        return OutboxRecord.forUser(Topics.DELIVERY_RESULTS, command.id() + ":" + attempt + ":" + status,
                net.driploop.model.command.CommandTypes.DELIVERY_RESULT, command.appId(), command.externalUserId(),
                command.correlationId(), at, result, null);
    }

    private static OutboxRecord log(CallWebhook command, String type, Map<String, Object> detail, Instant at) {
        return OutboxRecord.log(new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), at,
                AutomationLogEntry.SERVICE_WEBHOOK_WORKER, type, command.correlationId(), command.appId(),
                command.externalUserId(), command.flowId(), command.executionId(), command.stepId(), Map.copyOf(detail)));
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}
