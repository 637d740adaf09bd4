package net.driploop.email.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.pgclient.PgException;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.email.config.EmailConfig;
import net.driploop.email.render.TemplateRenderer;
import net.driploop.email.retry.DeadLetters;
import net.driploop.kit.http.JsonCodec;
import net.driploop.kit.http.Unavailable;
import net.driploop.kit.messaging.Outages;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.command.SendEmail;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Delivers a SendEmail at most once. One transaction claims the command id in the ledger, refuses deleted
 * users, enforces sendOnce/maxCount and marks the delivery {@code sending}; it commits <em>before</em> SMTP is
 * called. A second transaction records the outcome (sent, retrying, failed) with its DeliveryResult and
 * automation-log entry in the outbox. A crash between the two leaves {@code sending}, which is never re-sent:
 * the sweep records it as uncertain ({@link #expireStaleSends}).
 * <p>
 * Claims, and the records of accepted emails, of all deliveries under way are grouped ({@link Batcher}): what
 * arrives while one transaction runs goes into the next, a statement per step for the whole group. Failures
 * are recorded one by one, as they are rare.
 */
@ApplicationScoped
public class DeliveryService {

    private static final List<StoredRecord> NONE = List.of();
    /** Most commands claimed, or accepted emails recorded, in one transaction. */
    static final int MAX_BATCH = 500;
    /** Runs of a transaction that a deadlock or serialization failure rolled back. */
    private static final int CONFLICT_ATTEMPTS = 10;

    private final Pool pool;
    private final DeliveryLedger ledger;
    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final TemplateRenderer renderer;
    private final EmailSender sender;
    private final SendSlots slots;
    private final DeadLetters deadLetters;
    private final DeliveryMetrics metrics;
    private final JsonCodec json;
    private final EmailConfig config;
    private final ObjectMapper mapper;
    private final Outages outages;
    private final Batcher<Claiming, Decision> claims;
    private final Batcher<Accepted, Void> accepted;

    public DeliveryService(Pool pool, DeliveryLedger ledger, OutboxWriter outbox, OutboxRelay relay,
            TemplateRenderer renderer, EmailSender sender, SendSlots slots, DeadLetters deadLetters, DeliveryMetrics metrics,
            JsonCodec json, EmailConfig config, ObjectMapper mapper, Outages outages) {
        this.pool = pool;
        this.ledger = ledger;
        this.outbox = outbox;
        this.relay = relay;
        this.renderer = renderer;
        this.sender = sender;
        this.slots = slots;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.json = json;
        this.config = config;
        this.mapper = mapper;
        this.outages = outages;
        if (config.sendingLease().compareTo(config.sendTimeout().multipliedBy(2)) < 0) {
            // a lease that ran out during a live attempt would report a delivery as uncertain while it still runs
            throw new IllegalArgumentException("driploop.email.sending-lease must be at least twice driploop.email.send-timeout");
        }
        // one statement must not see a command id twice, nor two commands of one user and step (their counter)
        this.claims = new Batcher<>(MAX_BATCH, this::claimAll, c -> List.of(c.command().id(), counterKey(c.command())),
                failure -> !Unavailable.isUnavailable(failure));
        this.accepted = new Batcher<>(MAX_BATCH, this::recordAccepted, a -> List.of(a.command().id()),
                failure -> !Unavailable.isUnavailable(failure));
    }

    /** What the first transaction decided: the attempt to make now (null: none), and the records to relay. */
    private record Decision(Integer attempt, List<StoredRecord> records) {
    }

    /** A command to claim, with its rendering. */
    private record Claiming(SendEmail command, String ceId, Rendering rendering) {
    }

    /** An email the SMTP server accepted, to record. */
    private record Accepted(SendEmail command, String messageId, int attempt) {
    }

    /** The outcome of one command's claim in a batch: its decision, and what to count once committed. */
    private record Claimed(Decision decision, String skipped, boolean failed) {
    }

    /** The outcomes of a batch of claims, in order, and the outbox records they wrote. */
    private record ClaimedBatch(List<Claimed> outcomes, List<StoredRecord> stored) {
    }

    /** The rendered email, or why it cannot be rendered. */
    private record Rendering(EmailSender.Content content, String error) {
    }

    /**
     * Delivers a command received from {@code driploop.email-commands.v1} with CloudEvents id {@code ceId}. A shutdown
     * waits for a delivery under way, from its claim to its recorded outcome ({@link Outages#finishing}); once the
     * worker is stopping none starts (it fails with {@link Outages.Stopping} and is left for the next instance).
     */
    public Uni<Void> deliver(SendEmail command, String ceId) {
        return outages.finishing(() -> {
            Rendering rendering = render(command);
            return claims.submit(new Claiming(command, ceId, rendering))
                    .flatMap(decision -> decision.attempt() == null ? Uni.createFrom().voidItem()
                            : attempt(command, ceId, rendering.content(), decision.attempt()));
        });
    }

    /** Makes the next attempt of a retry that the sweep claimed; a shutdown waits for it, as for {@link #deliver}. */
    public Uni<Void> retry(DeliveryLedger.DueRetry due) {
        return outages.finishing(() -> {
            SendEmail command = read(due.command());
            Rendering rendering = render(command);
            Uni<Decision> decided = pool.withTransaction(conn -> resume(conn, command));
            return relay.publishAfter(decided, Decision::records)
                    .flatMap(decision -> decision.attempt() == null ? Uni.createFrom().voidItem()
                            : attempt(command, due.ceId(), rendering.content(), decision.attempt()));
        });
    }

    /** Records deliveries left {@code sending} past their lease as uncertain: never re-sent, reported as failed. */
    public Uni<Integer> expireStaleSends() {
        return relay.publishAfter(pool.withTransaction(conn -> ledger.expireStaleSends(conn, config.sweepBatch())
                .flatMap(stale -> {
                    if (stale.isEmpty()) {
                        return Uni.createFrom().item(NONE);
                    }
                    List<OutboxRecord> records = new ArrayList<>();
                    for (DeliveryLedger.Stale s : stale) {
                        Log.warnf("email %s: the outcome of attempt %d is unknown (the worker stopped between SMTP and "
                                + "recording it); not re-sent", s.commandId(), s.attempts());
                        metrics.failed();
                        records.addAll(Outcomes.of(new Outcomes.Subject(s.commandId(), s.appId(), s.externalUserId(),
                                s.flowId(), s.executionId(), s.stepId(), s.correlationId()), DeliveryResult.FAILED,
                                Outcomes.FAILED, detail("reason", "outcome_unknown", "uncertain", true,
                                        "attempt", s.attempts())));
                    }
                    return outbox.insert(conn, records);
                })), stored -> stored).map(List::size);
    }

    /**
     * Claims a batch of commands in one transaction: one statement claims them all, one moves on those not to
     * be sent (duplicates stay as they are), one writes their outbox records.
     */
    private Uni<List<Decision>> claimAll(List<Claiming> batch) {
        List<DeliveryLedger.ClaimRequest> requests = new ArrayList<>(batch.size());
        for (Claiming c : batch) {
            requests.add(new DeliveryLedger.ClaimRequest(c.command(), c.ceId(),
                    hasRecipient(c.command()) && c.rendering().error() == null, limit(c.command())));
        }
        Uni<ClaimedBatch> work = pool.withTransaction(conn -> ledger.claim(conn, requests, config.sendingLease())
                .flatMap(found -> {
                    List<Claimed> outcomes = new ArrayList<>(batch.size());
                    List<DeliveryLedger.Finish> finishes = new ArrayList<>();
                    List<OutboxRecord> records = new ArrayList<>();
                    for (int i = 0; i < batch.size(); i++) {
                        outcomes.add(decide(batch.get(i), found.get(i), finishes, records));
                    }
                    return ledger.finishAll(conn, finishes, "sending")
                            .flatMap(v -> records.isEmpty() ? Uni.createFrom().item(NONE) : outbox.insert(conn, records))
                            .map(stored -> new ClaimedBatch(outcomes, stored));
                }));
        return relay.publishAfter(retryWhileUnavailable(work), ClaimedBatch::stored)
                .map(claimed -> {
                    List<Decision> decisions = new ArrayList<>(claimed.outcomes().size());
                    for (Claimed c : claimed.outcomes()) {
                        if (c.skipped() != null) {
                            metrics.skipped(c.skipped());
                        }
                        if (c.failed()) {
                            metrics.failed();
                        }
                        decisions.add(c.decision());
                    }
                    return decisions;
                });
    }

    /** What to do with one claimed command: send it (attempt 1), or how it is moved on and reported. */
    private Claimed decide(Claiming c, DeliveryLedger.Claim claim, List<DeliveryLedger.Finish> finishes,
            List<OutboxRecord> records) {
        SendEmail command = c.command();
        if (!claim.claimed()) {
            // a duplicate: the first delivery reports the result; only the log says it was seen again
            records.addAll(Outcomes.of(subject(command), null, Outcomes.SKIPPED, detail("reason", "duplicate")));
            return new Claimed(new Decision(null, NONE), "duplicate", false);
        }
        String skipped = claim.deleted() ? "user_deleted"
                : !hasRecipient(command) ? "no_recipient"
                : c.rendering().error() != null ? null
                : !claim.counted() ? (command.sendOnce() && (limit(command) == null || limit(command) <= 1)
                        ? "send_once" : "max_count")
                : null;
        if (skipped != null) {
            finishes.add(new DeliveryLedger.Finish(command.id(), "skipped", skipped, null, null));
            records.addAll(Outcomes.of(subject(command), DeliveryResult.SKIPPED, Outcomes.SKIPPED,
                    detail("reason", skipped)));
            return new Claimed(new Decision(null, NONE), skipped, false);
        }
        if (c.rendering().error() != null) {
            // nothing was counted for it (not sendable), and a new claim has no retry to drop
            finishes.add(new DeliveryLedger.Finish(command.id(), "failed", "template_error", null,
                    c.rendering().error()));
            records.addAll(Outcomes.of(subject(command), DeliveryResult.FAILED, Outcomes.FAILED,
                    detail("reason", "template_error", "error", c.rendering().error(), "attempt", 0)));
            return new Claimed(new Decision(null, NONE), null, true);
        }
        return new Claimed(new Decision(1, NONE), null, false);
    }

    private Uni<Decision> resume(SqlConnection conn, SendEmail command) {
        return ledger.isDeleted(conn, command).flatMap(deleted -> {
            if (deleted) {
                return ledger.deleteRetry(conn, command.id()).flatMap(v -> skip(conn, command, "user_deleted", "retrying"));
            }
            return ledger.startSending(conn, command.id(), config.sendingLease()).flatMap(attempt -> {
                if (attempt != null) {
                    return Uni.createFrom().item(new Decision(attempt, NONE));
                }
                // not waiting for a retry any more: finished (drop the retry) or sending elsewhere (leave it)
                return ledger.status(conn, command.id()).flatMap(status -> "sending".equals(status)
                        ? Uni.createFrom().item(new Decision(null, NONE))
                        : ledger.deleteRetry(conn, command.id()).replaceWith(new Decision(null, NONE)));
            });
        });
    }

    private Uni<Void> attempt(SendEmail command, String ceId, EmailSender.Content content, int attempt) {
        return slots.run(() -> {
                    long start = System.nanoTime();
                    // deferred: a mail the client refuses to even build (a malformed address) fails the Uni, not this method
                    return Uni.createFrom().deferred(() -> sender.send(command, content))
                            .onItemOrFailure().invoke((messageId, failure) -> metrics.sendTime(
                                    Duration.ofNanos(System.nanoTime() - start), failure == null));
                })
                .onItemOrFailure().transformToUni((messageId, failure) -> {
                    if (failure == null) {
                        return accepted.submit(new Accepted(command, messageId, attempt));
                    }
                    Uni<List<StoredRecord>> recorded = pool.withTransaction(
                            conn -> failed(conn, command, ceId, attempt, SmtpFailure.of(failure)));
                    return relay.publishAfter(retryWhileUnavailable(recorded), records -> records).replaceWithVoid();
                });
    }

    /**
     * Records a batch of accepted emails in one transaction: one statement moves them to {@code sent} (also
     * those the sweep meanwhile marked {@code uncertain}: the late answer did arrive), one drops the retries of
     * those that were retries, one writes their outbox records.
     */
    private Uni<List<Void>> recordAccepted(List<Accepted> batch) {
        List<DeliveryLedger.Finish> finishes = new ArrayList<>(batch.size());
        List<String> retried = new ArrayList<>();
        List<OutboxRecord> records = new ArrayList<>(2 * batch.size());
        for (Accepted a : batch) {
            SendEmail command = a.command();
            finishes.add(new DeliveryLedger.Finish(command.id(), "sent", null, a.messageId(), null));
            if (a.attempt() > 1) {
                retried.add(command.id());
            }
            records.addAll(Outcomes.of(subject(command), DeliveryResult.SENT, Outcomes.SENT,
                    // the Vert.x mail client completes only on a 2xx reply to the message data and does not
                    // expose the reply text; the Message-ID is what the receiving side can be asked about
                    detail("smtpReply", "accepted", "messageId", a.messageId(), "to", command.to(),
                            "attempt", a.attempt())));
        }
        Uni<List<StoredRecord>> work = pool.withTransaction(conn -> ledger.finishAll(conn, finishes, "sending", "uncertain")
                .flatMap(v -> ledger.deleteRetries(conn, retried))
                .flatMap(v -> outbox.insert(conn, records)));
        return relay.publishAfter(retryWhileUnavailable(work), stored -> stored)
                .map(stored -> {
                    List<Void> done = new ArrayList<>(batch.size());
                    for (int i = 0; i < batch.size(); i++) {
                        metrics.sent();
                        done.add(null);
                    }
                    return done;
                });
    }

    private Uni<List<StoredRecord>> failed(SqlConnection conn, SendEmail command, String ceId, int attempt,
            SmtpFailure failure) {
        if (failure.permanent()) {
            Log.infof("email %s: SMTP refused it permanently: %s", command.id(), failure.reply());
            return fail(conn, command, "smtp_permanent", failure.reply(), attempt, "sending").map(Decision::records);
        }
        List<Duration> delays = config.retryDelays();
        if (attempt <= delays.size()) {
            OffsetDateTime due = OffsetDateTime.now(ZoneOffset.UTC).plus(delays.get(attempt - 1));
            Log.infof("email %s: transient SMTP failure on attempt %d, next attempt at %s: %s", command.id(), attempt,
                    due, failure.reply());
            metrics.retrying();
            return ledger.finish(conn, command.id(), "retrying", "smtp_transient", null, failure.reply(), "sending")
                    .flatMap(moved -> ledger.scheduleRetry(conn, command.id(), ceId, json.write(command), attempt, due,
                            failure.reply()))
                    .flatMap(v -> outbox.insert(conn, Outcomes.of(subject(command), DeliveryResult.RETRYING,
                            Outcomes.RETRYING, detail("error", failure.reply(), "smtpCode", failure.code(),
                                    "attempt", attempt, "nextAttemptAt", due.toInstant().toString()))));
        }
        Log.warnf("email %s: retries exhausted after %d attempts, dead-lettered: %s", command.id(), attempt,
                failure.reply());
        return fail(conn, command, "retries_exhausted", failure.reply(), attempt, "sending")
                .flatMap(decision -> deadLetters.write(conn, command, json.write(command), ceId, failure.reply(), attempt)
                        .map(dead -> java.util.stream.Stream.concat(decision.records().stream(), dead.stream()).toList()));
    }

    private Uni<Decision> skip(SqlConnection conn, SendEmail command, String reason, String... from) {
        metrics.skipped(reason);
        return ledger.finish(conn, command.id(), "skipped", reason, null, null, from)
                .flatMap(moved -> report(conn, command, DeliveryResult.SKIPPED, Outcomes.SKIPPED, detail("reason", reason)));
    }

    /** Gives up on the command: status failed, its counted send given back, its retry dropped. */
    private Uni<Decision> fail(SqlConnection conn, SendEmail command, String reason, String error, int attempt,
            String... from) {
        metrics.failed();
        return ledger.finish(conn, command.id(), "failed", reason, null, error, from)
                .flatMap(counted -> Boolean.TRUE.equals(counted) ? ledger.uncountSend(conn, command) : Uni.createFrom().voidItem())
                .flatMap(v -> ledger.deleteRetry(conn, command.id()))
                .flatMap(v -> report(conn, command, DeliveryResult.FAILED, Outcomes.FAILED,
                        detail("reason", reason, "error", error, "attempt", attempt)));
    }

    private Uni<Decision> report(SqlConnection conn, SendEmail command, String resultStatus, String logType,
            Map<String, Object> detail) {
        return outbox.insert(conn, Outcomes.of(subject(command), resultStatus, logType, detail))
                .map(records -> new Decision(null, records));
    }

    private Rendering render(SendEmail command) {
        try {
            Map<String, Object> data = command.data() == null ? Map.of() : command.data();
            return new Rendering(new EmailSender.Content(renderer.text(command.subject(), data),
                    renderer.text(command.text(), data), renderer.html(command.html(), data)), null);
        } catch (RuntimeException e) {
            return new Rendering(null, String.valueOf(e.getMessage()));
        }
    }

    private static boolean hasRecipient(SendEmail command) {
        return command.to() != null && !command.to().isBlank();
    }

    /** The send counter a command counts on: its user, flow and step. */
    private static List<String> counterKey(SendEmail command) {
        return List.of(command.appId(), command.externalUserId(), Objects.toString(command.flowId(), ""),
                Objects.toString(command.stepId(), ""));
    }

    /** The lowest of the two limits: sendOnce is a limit of one; null means no limit. */
    private static Integer limit(SendEmail command) {
        Integer limit = command.maxCount();
        if (command.sendOnce()) {
            limit = limit == null ? 1 : Math.min(limit, 1);
        }
        return limit;
    }

    private static Outcomes.Subject subject(SendEmail c) {
        return new Outcomes.Subject(c.id(), c.appId(), c.externalUserId(), c.flowId(), c.executionId(), c.stepId(),
                c.correlationId());
    }

    /** A detail map that keeps insertion order and leaves out null values. */
    private static Map<String, Object> detail(Object... keysAndValues) {
        Map<String, Object> detail = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                detail.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return detail;
    }

    private SendEmail read(String commandJson) {
        try {
            return mapper.readValue(commandJson, SendEmail.class);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Runs a transaction again while PostgreSQL is unreachable, for as long as that lasts (nothing is dead-lettered
     * and no accepted email goes unrecorded for an outage), and up to {@link #CONFLICT_ATTEMPTS} times after a deadlock
     * or serialization failure (two replicas' batches touching the same rows, e.g. after a rebalance): the transaction
     * was rolled back, so running it again is safe.
     */
    private <T> Uni<T> retryWhileUnavailable(Uni<T> work) {
        return outages.waitingOut(() -> work, () -> "an email-worker transaction", DeliveryService::conflict,
                CONFLICT_ATTEMPTS);
    }

    private static boolean conflict(Throwable failure) {
        return failure instanceof PgException pg && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()));
    }
}
