package net.driploop.flow.engine;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.KafkaHeaders;
import net.driploop.model.CloudEventHeaders;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * Consumes {@code driploop.events.v1} (at least once, one user's records in order by partition) and applies
 * each record in one transaction; transient failures (deadlock, serialization) are retried, then the record
 * goes to the dead-letter topic. A record that fails because the service is stopping is left for redelivery
 * ({@link RecordSettler}).
 */
@ApplicationScoped
public class EventConsumer {

    private final EventProcessor processor;
    private final RecordSettler settler;

    EventConsumer(EventProcessor processor, RecordSettler settler) {
        this.processor = processor;
        this.settler = settler;
    }

    @Incoming("events")
    public Uni<Void> consume(Message<String> message) {
        Headers headers = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(metadata -> metadata.getHeaders()).orElse(null);
        String ceId = KafkaHeaders.text(headers, CloudEventHeaders.ID);
        String ceType = KafkaHeaders.text(headers, CloudEventHeaders.TYPE);
        String correlationId = KafkaHeaders.text(headers, CloudEventHeaders.CORRELATION_ID);
        Uni<Void> work;
        if (ceId == null || ceType == null || correlationId == null) {
            Log.warnf("skipping a record without ce_id, ce_type or ce_correlationid (ce_id %s)", ceId);
            work = Uni.createFrom().voidItem();
        } else {
            work = Uni.createFrom().item(() -> processor.read(ceId, ceType, correlationId, message.getPayload()))
                    .flatMap(in -> in.isEmpty() ? Uni.createFrom().voidItem()
                            : processor.process(in.get())
                                    .onFailure(this::worthRetrying)
                                    .invoke(e -> Log.warnf("event %s failed (%s); retrying", ceId, e.getMessage()))
                                    .onFailure(this::worthRetrying).retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2))
                                    .atMost(5));
        }
        return work.onItemOrFailure().transformToUni((v, failure) -> {
            if (failure != null && !settler.stopping(failure)) {
                Log.errorf(failure, "event %s sent to the dead-letter topic", ceId);
            }
            return settler.settle(message, failure, "event " + ceId);
        });
    }

    private boolean worthRetrying(Throwable failure) {
        return transientFailure(failure) && !settler.stopping(failure);
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
