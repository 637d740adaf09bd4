package net.driploop.flow.engine;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.Unavailable;
import net.driploop.kit.messaging.DeadLetterSender;
import net.driploop.kit.messaging.KafkaHeaders;
import net.driploop.kit.messaging.Outages;
import net.driploop.model.CloudEventHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Consumes {@code driploop.events.v1} (at least once), a polled batch at a time per consumer. The batch's records
 * are grouped by key (one user): up to {@code driploop.engine.concurrency} users' records are applied at once,
 * each user's in offset order and together in one transaction (one by one, each in its own, when that fails or a
 * record is unreadable). The batch is
 * acknowledged (its offsets committed) once every record in it is applied or dead-lettered.
 * <ul>
 * <li>While PostgreSQL cannot be reached ({@link Unavailable}), a record is retried until it can: the user's later
 * records wait behind it and nothing is dead-lettered for an outage.</li>
 * <li>Other transient failures (deadlock, serialization) are retried a few times; a record that still fails, or
 * cannot be read, goes to {@code driploop.events.v1.dlq} as it came, with the reason in its headers.</li>
 * <li>A failure caused by the service stopping fails the batch unacknowledged, so the next instance consumes it
 * again ({@link Outages}); applying dedups on {@code ce_id}.</li>
 * </ul>
 */
@ApplicationScoped
public class EventConsumer {

    /** Attempts for a transient failure other than an unreachable database. */
    static final int ATTEMPTS = 6;

    private final EventProcessor processor;
    private final Outages outages;
    private final DeadLetterSender deadLetters;
    private final MutinyEmitter<String> emitter;
    private final int concurrency;

    EventConsumer(EventProcessor processor, Outages outages, EngineConfig config, DeadLetterSender deadLetters,
            @Channel("events-dead-letters") MutinyEmitter<String> emitter) {
        this.processor = processor;
        this.outages = outages;
        this.deadLetters = deadLetters;
        this.emitter = emitter;
        this.concurrency = config.concurrency();
    }

    @Incoming("events")
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        Map<String, List<ConsumerRecord<String, String>>> byUser = new LinkedHashMap<>();
        for (ConsumerRecord<String, String> record : records) {
            byUser.computeIfAbsent(record.key() == null ? "" : record.key(), key -> new ArrayList<>()).add(record);
        }
        return Multi.createFrom().iterable(byUser.values())
                .onItem().transformToUni(this::applyInOrder).merge(concurrency)
                .collect().last().replaceWithVoid();
    }

    /**
     * One user's records of the batch, in order: several readable ones are applied together in one transaction
     * (waiting out an unreachable database); should that fail otherwise, or a record be unreadable, they are
     * applied one after the other, each with its own retries and dead letter.
     */
    private Uni<Void> applyInOrder(List<ConsumerRecord<String, String>> records) {
        List<IncomingEvent> events = records.size() < 2 ? null : readAll(records);
        if (events == null) {
            return oneByOne(records);
        }
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return outages.waitingOut(() -> processor.process(events),
                        () -> events.size() + " events of " + records.get(0).key())
                .onFailure(failure -> !outages.stopping(failure)).recoverWithUni(failure -> {
                    Log.warnf("%d events of %s failed together (%s); applying them one by one", events.size(),
                            records.get(0).key(), failure.getMessage());
                    return oneByOne(records);
                });
    }

    /** The events the records carry (those of types the engine acts on), or null if one cannot be read. */
    private List<IncomingEvent> readAll(List<ConsumerRecord<String, String>> records) {
        List<IncomingEvent> events = new ArrayList<>(records.size());
        for (ConsumerRecord<String, String> record : records) {
            try {
                read(record).ifPresent(events::add);
            } catch (RuntimeException unreadable) {
                return null;
            }
        }
        return events;
    }

    /**
     * The event a record carries; empty for types the engine does not act on and for a record without
     * {@code ce_id}, {@code ce_type} or {@code ce_correlationid} (skipped, with a warning). Throws if it cannot be read.
     */
    private Optional<IncomingEvent> read(ConsumerRecord<String, String> record) {
        String ceId = KafkaHeaders.text(record.headers(), CloudEventHeaders.ID);
        String ceType = KafkaHeaders.text(record.headers(), CloudEventHeaders.TYPE);
        String correlationId = KafkaHeaders.text(record.headers(), CloudEventHeaders.CORRELATION_ID);
        if (ceId == null || ceType == null || correlationId == null) {
            Log.warnf("skipping a record without ce_id, ce_type or ce_correlationid (ce_id %s)", ceId);
            return Optional.empty();
        }
        return processor.read(ceId, ceType, correlationId, record.value());
    }

    private Uni<Void> oneByOne(List<ConsumerRecord<String, String>> records) {
        return Multi.createFrom().iterable(records)
                .onItem().transformToUniAndConcatenate(this::apply)
                .collect().last().replaceWithVoid();
    }

    /** Applies one record, retrying as above; completes once it is applied, skipped or dead-lettered. */
    private Uni<Void> apply(ConsumerRecord<String, String> record) {
        String ceId = KafkaHeaders.text(record.headers(), CloudEventHeaders.ID);
        return Uni.createFrom().item(() -> read(record))
                .flatMap(in -> in.isEmpty() ? Uni.createFrom().voidItem()
                        : outages.waitingOut(() -> processor.process(in.get()), () -> "event " + ceId,
                                EventConsumer::transientFailure, ATTEMPTS - 1))
                .onFailure(failure -> !outages.stopping(failure)).recoverWithUni(failure -> {
                    Log.errorf(failure, "event %s sent to the dead-letter topic", ceId);
                    return deadLetters.send(emitter, record, String.valueOf(failure.getMessage()));
                })
                .onFailure().invoke(failure -> Log.infof(
                        "event %s left unacknowledged for redelivery: the service is stopping (%s)", ceId,
                        failure.getMessage()));
    }

    /**
     * Whether a retry may succeed: a deadlock or serialization failure (SQLSTATE class 40), a lost connection
     * (08) or an operator intervention (57); SQL errors of other classes and bad records would fail again.
     */
    static boolean transientFailure(Throwable failure) {
        if (failure instanceof PgException pg) {
            String state = pg.getSqlState();
            return state != null && (state.startsWith("40") || state.startsWith("08") || state.startsWith("57"));
        }
        return !(failure instanceof IllegalArgumentException || failure instanceof IllegalStateException
                || failure instanceof UncheckedIOException || failure instanceof ClassCastException
                || failure instanceof NullPointerException);
    }
}
