package net.driploop.webhook.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.Outages;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The delivery ledger and its attempts. A command is stored once (its id is the dedupe key) and then attempted
 * beside the consumer, never inside it, while its target and the replica have room ({@link TargetLimits}); the
 * others stay due for the sweep, which claims rows with SKIP LOCKED, leaving targets without room. Each attempt's
 * outcome, its DeliveryResult and log entry (and a dead letter when the schedule is spent) commit together
 * ({@link OutcomeRecorder}).
 */
@ApplicationScoped
public class Deliveries {

    /**
     * Runs of the worker's PostgreSQL work after a failure other than an unreachable database (which is waited out
     * however long it lasts, {@link Outages}).
     */
    public static final int RETRIES = 5;

    public static final String PENDING = "pending";
    public static final String DELIVERED = "delivered";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";

    /** Stores commands once (new rows only); a deleted user's are stored as skipped. Returns each new row's status. */
    private static final String ACCEPT = """
            INSERT INTO webhook.deliveries (id, app_id, external_user_id, correlation_id, command, status, due_at,
                                            source_partition, source_offset, target, created_at, updated_at)
            SELECT r.id, r.app_id, r.external_user_id, r.correlation_id, r.command,
                   CASE WHEN d.app_id IS NULL THEN 'pending' ELSE 'skipped' END,
                   CASE WHEN d.app_id IS NULL THEN r.due_at END, r.source_partition, r.source_offset, r.target, now(), now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::integer[],
                        $8::bigint[], $9::text[])
                 WITH ORDINALITY AS r(id, app_id, external_user_id, correlation_id, command, due_at, source_partition,
                                      source_offset, target, ord)
            LEFT JOIN webhook.deleted_users d ON d.app_id = r.app_id AND d.external_user_id = r.external_user_id
            ORDER BY r.ord
            ON CONFLICT (id) DO NOTHING
            RETURNING id, status""";
    /** What a claim returns of each row, and whether its user has been deleted meanwhile. */
    private static final String CLAIMED = """
            d.id, d.command, d.attempts, d.source_partition, d.source_offset, d.target,
            EXISTS (SELECT 1 FROM webhook.deleted_users u
                    WHERE u.app_id = d.app_id AND u.external_user_id = d.external_user_id) AS deleted""";
    /**
     * Claims due rows, oldest first: none of a target at its limit ($3), at most the room of a target with attempts
     * running ($6, $7; others $5), at most $2 in all, looking at the $4 oldest; each leased for $1 seconds. Also says
     * whether the user has been deleted meanwhile.
     */
    private static final String CLAIM = """
            WITH due AS (
                SELECT id, target, due_at FROM webhook.deliveries
                WHERE status = 'pending' AND due_at <= now() AND target <> ALL($3::text[])
                ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED
            ), picked AS (
                SELECT id FROM (
                    SELECT due.id, due.due_at, row_number() OVER (PARTITION BY due.target ORDER BY due.due_at, due.id) AS n,
                           coalesce(r.room, $5) AS room
                    FROM due LEFT JOIN unnest($6::text[], $7::integer[]) AS r(target, room) ON r.target = due.target
                ) ranked
                WHERE n <= room ORDER BY due_at LIMIT $2
            )
            UPDATE webhook.deliveries d SET due_at = now() + make_interval(secs => $1), updated_at = now()
            FROM picked WHERE d.id = picked.id
            RETURNING\s""" + CLAIMED;
    /**
     * Claims the oldest due deliveries of each target in $2, at most its room in $3 (the same order), $4 in all;
     * leased for $1 s. The outer limit (a constant) tells the planner how few rows come back, so that it updates
     * them through the primary key rather than hashing the table.
     */
    private static final String REFILL = """
            WITH picked AS (
                SELECT d.id FROM unnest($2::text[], $3::integer[]) AS t(target, room)
                CROSS JOIN LATERAL (SELECT id FROM webhook.deliveries
                                    WHERE status = 'pending' AND target = t.target AND due_at <= now()
                                    ORDER BY due_at LIMIT t.room FOR UPDATE SKIP LOCKED) d
                LIMIT $4
            )
            UPDATE webhook.deliveries d SET due_at = now() + make_interval(secs => $1), updated_at = now()
            FROM picked WHERE d.id = picked.id
            RETURNING\s""" + CLAIMED;
    private static final String BACKLOG = "SELECT count(*) AS n FROM webhook.deliveries WHERE status = 'pending'";
    /** Gives up the lease of a claimed delivery not attempted: due at once, for any replica. */
    private static final String RELEASE = """
            UPDATE webhook.deliveries SET due_at = now(), updated_at = now() WHERE id = $1 AND status = 'pending'""";

    private final Pool pool;
    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final ObjectMapper mapper;
    private final RequestRenderer renderer;
    private final SigningSecrets secrets;
    private final WebhookSender sender;
    private final DeliveryMetrics metrics;
    private final TargetLimits limits;
    private final OutcomeRecorder recorder;
    private final RetrySchedule schedule;
    private final WebhookConfig config;
    private final Outages outages;
    /** How long an attempt owns its row: its timeouts, and time to record the outcome. */
    private final Duration lease;
    /**
     * The deliveries with an attempt running on this replica. One whose outcome waits out a PostgreSQL outage
     * ({@link OutcomeRecorder}) may outlive its lease; a claim of it then renews the lease and starts nothing, so that
     * the receiver is not called again.
     */
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    public Deliveries(Pool pool, OutboxWriter outbox, OutboxRelay relay, ObjectMapper mapper, RequestRenderer renderer,
            SigningSecrets secrets, WebhookSender sender, DeliveryMetrics metrics, TargetLimits limits,
            OutcomeRecorder recorder, WebhookConfig config, Outages outages) {
        this.pool = pool;
        this.outages = outages;
        this.outbox = outbox;
        this.relay = relay;
        this.mapper = mapper;
        this.renderer = renderer;
        this.secrets = secrets;
        this.sender = sender;
        this.metrics = metrics;
        this.limits = limits;
        this.recorder = recorder;
        this.config = config;
        this.schedule = new RetrySchedule(config);
        this.lease = config.connectTimeout().plus(config.responseTimeout()).plusSeconds(10);
    }

    /** A command as read from Kafka: parsed, its JSON as received (stored as-is), and where it was read. */
    public record Received(CallWebhook command, String json, int partition, long offset) {
    }

    /**
     * Stores a batch of commands from Kafka with one statement and, once committed, starts the first attempts of those
     * whose target and this replica have room; the others are due at once, for the sweep. Commands seen before
     * change nothing; a deleted user's are stored as skipped, with their results, in the same transaction.
     */
    public Uni<Void> accept(List<Received> batch) {
        // sorted by id, so that two replicas inserting the same ids (after a rebalance) lock rows in the same order
        Map<String, Received> byId = new TreeMap<>();
        batch.forEach(received -> byId.putIfAbsent(received.command().id(), received));
        List<Received> commands = new ArrayList<>(byId.values());
        int n = commands.size();
        String[][] columns = new String[6][n];
        OffsetDateTime[] due = new OffsetDateTime[n];
        Integer[] partitions = new Integer[n];
        Long[] offsets = new Long[n];
        boolean[] startNow = new boolean[n];
        OffsetDateTime now = now();
        for (int i = 0; i < n; i++) {
            Received received = commands.get(i);
            CallWebhook command = received.command();
            columns[0][i] = command.id();
            columns[1][i] = command.appId();
            columns[2][i] = command.externalUserId();
            columns[3][i] = command.correlationId();
            columns[4][i] = received.json();
            columns[5][i] = target(command);
            partitions[i] = received.partition();
            offsets[i] = received.offset();
            startNow[i] = limits.tryAcquire(columns[5][i]);
            due[i] = startNow[i] ? now.plus(lease) : now;
        }
        Uni<Accepted> work = pool.withTransaction(conn -> conn.preparedQuery(ACCEPT)
                .execute(Tuple.from(List.<Object>of(columns[0], columns[1], columns[2], columns[3], columns[4], due,
                        partitions, offsets, columns[5])))
                .flatMap(rows -> {
                    Map<String, String> status = new HashMap<>();
                    rows.forEach(row -> status.put(row.getString("id"), row.getString("status")));
                    List<OutboxRecord> skipped = new ArrayList<>();
                    commands.stream().filter(r -> SKIPPED.equals(status.get(r.command().id())))
                            .forEach(r -> skipped.addAll(skippedRecords(r.command())));
                    Uni<List<StoredRecord>> stored = skipped.isEmpty() ? Uni.createFrom().item(List.of())
                            : outbox.insert(conn, skipped);
                    return stored.map(records -> new Accepted(status, records));
                }));
        return relay.publishAfter(work, Accepted::records).onItemOrFailure().invoke((accepted, failure) -> {
            for (int i = 0; i < n; i++) {
                Received received = commands.get(i);
                String status = accepted == null ? null : accepted.status().get(received.command().id());
                if (SKIPPED.equals(status)) {
                    metrics.skipped();
                }
                if (startNow[i] && PENDING.equals(status)) {
                    start(new ClaimedDelivery(received.command().id(), received.json(), received.command(), 0,
                            received.partition(), received.offset(), columns[5][i], false));
                } else if (startNow[i]) {
                    limits.release(columns[5][i]); // a duplicate, a deleted user's, or not stored at all
                } else if (PENDING.equals(status)) {
                    limits.waiting(columns[5][i]);
                }
            }
        }).replaceWithVoid();
    }

    private record Accepted(Map<String, String> status, List<StoredRecord> records) {
    }

    /** The target of a command for {@link TargetLimits}: from its rendered URL. */
    private String target(CallWebhook command) {
        try {
            return TargetLimits.of(renderer.url(command));
        } catch (IllegalArgumentException e) {
            return TargetLimits.UNKNOWN;
        }
    }

    /**
     * Claims due deliveries of any target, oldest first (as many as this replica and their targets have room for),
     * and starts them; returns how many. A target whose whole room was taken may have more: it is marked waiting.
     */
    public Uni<Integer> sweep() {
        TargetLimits.Rooms rooms = limits.rooms();
        int room = Math.min(config.sweepBatch(), rooms.total());
        if (room <= 0 || outages.stopping()) {
            return Uni.createFrom().item(0);
        }
        long since = System.nanoTime();
        return pool.preparedQuery(CLAIM)
                .execute(Tuple.from(List.<Object>of(leaseSeconds(), room, rooms.full(), room * 4, rooms.perTarget(),
                        rooms.busy(), rooms.busyRoom())))
                .map(rows -> {
                    Map<String, Integer> got = startClaimed(rows);
                    got.forEach((target, n) -> limits.claimed(target, rooms.of(target), n, since));
                    return got.values().stream().mapToInt(Integer::intValue).sum();
                });
    }

    /** Claims the oldest due deliveries of the targets marked waiting, up to each one's room, and starts them. */
    public Uni<Void> refill() {
        Map<String, Integer> rooms = limits.waitingRooms();
        if (rooms.isEmpty() || outages.stopping()) {
            return Uni.createFrom().voidItem();
        }
        long since = System.nanoTime();
        String[] targets = rooms.keySet().toArray(String[]::new);
        Integer[] room = java.util.Arrays.stream(targets).map(rooms::get).toArray(Integer[]::new);
        int total = rooms.values().stream().mapToInt(Integer::intValue).sum();
        return pool.preparedQuery(REFILL).execute(Tuple.from(List.<Object>of(leaseSeconds(), targets, room, total)))
                .invoke(rows -> {
                    Map<String, Integer> got = startClaimed(rows);
                    rooms.forEach((target, asked) -> limits.claimed(target, asked, got.getOrDefault(target, 0), since));
                })
                .replaceWithVoid();
    }

    /** Starts claimed deliveries, each in a slot taken for it; returns how many per target. */
    private Map<String, Integer> startClaimed(RowSet<Row> rows) {
        Map<String, Integer> got = new HashMap<>();
        for (Row row : rows) {
            ClaimedDelivery delivery = new ClaimedDelivery(row.getString("id"), row.getString("command"), null,
                    row.getInteger("attempts"), row.getInteger("source_partition"), row.getLong("source_offset"),
                    row.getString("target"), row.getBoolean("deleted"));
            limits.acquire(delivery.target());
            got.merge(delivery.target(), 1, Integer::sum);
            start(delivery);
        }
        return got;
    }

    private double leaseSeconds() {
        return (double) lease.toMillis() / 1000;
    }

    /** Updates the retry-backlog gauge: pending rows, due or not. */
    public Uni<Void> countBacklog() {
        return pool.query(BACKLOG).execute().invoke(rows -> metrics.backlog(rows.iterator().next().getLong("n")))
                .replaceWithVoid();
    }

    /**
     * Starts an attempt that runs on its own, in a slot of {@link TargetLimits} taken by the caller: the caller (a
     * partition, a sweep) never waits for a receiver. None starts for a delivery whose attempt runs on this replica.
     */
    void start(ClaimedDelivery delivery) {
        if (!running.add(delivery.id())) {
            Log.infof("webhook %s still has an attempt running here (its outcome waits for PostgreSQL): lease renewed, "
                    + "not sent again", delivery.id());
            limits.release(delivery.target());
            return;
        }
        // a shutdown waits for the attempt and its recorded outcome; once stopping, none starts (the lease runs out
        // and the next instance's sweep claims it)
        outages.finishing(() -> attempt(delivery))
                .onTermination().invoke(() -> {
                    running.remove(delivery.id());
                    limits.release(delivery.target());
                })
                .subscribe().with(ignored -> {
                }, failure -> {
                    if (failure instanceof Outages.Stopping) {
                        release(delivery);
                    } else {
                        Log.warnf("attempt of webhook %s could not be recorded; the sweep retries it after %s: %s",
                                delivery.id(), lease, failure.getMessage());
                    }
                });
    }

    /**
     * Makes a delivery claimed while the worker stops due at once, so that another replica or the next instance takes
     * it without waiting for the lease; if PostgreSQL is already closed to this instance, the lease runs out instead.
     */
    private void release(ClaimedDelivery delivery) {
        pool.preparedQuery(RELEASE).execute(Tuple.of(delivery.id())).subscribe().with(
                rows -> Log.infof("webhook %s not attempted: the worker is stopping; left due for another instance",
                        delivery.id()),
                failure -> Log.infof("webhook %s not attempted: the worker is stopping; another instance claims it "
                        + "after its lease (%s)", delivery.id(), lease));
    }

    /** One attempt: rendering, signing, the guarded send, and the outcome recorded. */
    Uni<Void> attempt(ClaimedDelivery delivery) {
        CallWebhook command = delivery.command();
        if (command == null) {
            try {
                command = mapper.readValue(delivery.json(), CallWebhook.class);
            } catch (Exception e) {
                return Uni.createFrom().failure(new IllegalStateException("stored command is unreadable", e));
            }
        }
        return delivery.deleted() ? skip(delivery, command) : send(delivery, command);
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
        return record(delivery, SKIPPED, delivery.attempts(), null, null, "the user was deleted", skippedRecords(command))
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
            return record(delivery, DELIVERED, attempt, null, status, null,
                    List.of(result(command, DeliveryResult.SENT, detail, at, attempt),
                            log(command, "webhook.delivered", detail, at)))
                    .invoke(done -> {
                        if (done) {
                            metrics.delivered();
                        }
                    }).replaceWithVoid();
        }
        String error = outcome.error() != null ? outcome.error() : "HTTP " + outcome.status();
        Optional<Duration> next = outcome.permanent() || outcome.gone() ? Optional.empty()
                : schedule.next(attempt, outcome.retryAfter());
        if (next.isPresent()) {
            Instant due = at.plus(next.get());
            detail.put("nextAttemptAt", Timestamps.format(due));
            return record(delivery, PENDING, attempt, OffsetDateTime.ofInstant(due, ZoneOffset.UTC), status, error,
                    List.of(result(command, DeliveryResult.RETRYING, detail, at, attempt),
                            log(command, "webhook.failed", detail, at)))
                    .invoke(done -> {
                        if (done) {
                            metrics.retried();
                        }
                    }).replaceWithVoid();
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
                    command.correlationId(), delivery.json()));
        }
        return record(delivery, FAILED, attempt, null, status, error, records).invoke(done -> {
            if (done) {
                metrics.failed();
            }
        }).replaceWithVoid();
    }

    /** Records an attempt's outcome with its outbox rows; false if another attempt got there first. */
    private Uni<Boolean> record(ClaimedDelivery delivery, String status, int attempts, OffsetDateTime due,
            Integer httpStatus, String error, List<OutboxRecord> records) {
        return recorder.record(new OutcomeRecorder.Outcome(delivery.id(), status, attempts, due, httpStatus, error,
                delivery.attempts(), records));
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
                CommandTypes.DELIVERY_RESULT, command.appId(), command.externalUserId(), command.correlationId(), at,
                result, null);
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
