package net.driploop.kit.messaging;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.outbox.DeadLetter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.time.Duration;

/**
 * Sends a consumed record that cannot be applied to its dead-letter topic as it came, with the reason in its
 * headers ({@link DeadLetter#headersOf}: as the Kafka connector does for the records it dead-letters), retrying until
 * Kafka takes it: the consumer acknowledges the record's batch only after that. While the service stops it gives up,
 * and the batch is consumed again by the next instance. The one way the consumers of flow-engine and email-worker
 * dead-letter a record themselves; those whose dead letters belong to a transaction write them to the outbox.
 */
@ApplicationScoped
public class DeadLetterSender {

    private final Outages outages;

    public DeadLetterSender(Outages outages) {
        this.outages = outages;
    }

    /** Sends {@code record} through {@code emitter} (its channel names the dead-letter topic); completes once Kafka has it. */
    public Uni<Void> send(MutinyEmitter<String> emitter, ConsumerRecord<String, String> record, String reason) {
        OutgoingKafkaRecordMetadata.OutgoingKafkaRecordMetadataBuilder<String> metadata =
                OutgoingKafkaRecordMetadata.<String>builder().withHeaders(DeadLetter.headersOf(record, reason));
        if (record.key() != null) {
            metadata.withKey(record.key());
        }
        Message<String> message = Message.of(record.value() == null ? "" : record.value()).addMetadata(metadata.build());
        return Uni.createFrom().deferred(() -> emitter.sendMessage(message))
                .onFailure(failure -> !outages.stopping(failure)).invoke(failure -> Log.warnf(
                        "could not dead-letter %s-%d@%d, retrying: %s", record.topic(), record.partition(),
                        record.offset(), failure.getMessage()))
                .onFailure(failure -> !outages.stopping(failure)).retry()
                .withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30)).indefinitely();
    }
}
