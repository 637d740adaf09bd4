package net.driploop.email.retry;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.SendEmail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.nio.charset.StandardCharsets;

/**
 * Sends a command whose retries ran out to {@code driploop.email-commands.v1.dlq}: the command as it came,
 * its CloudEvents headers, and why ({@code dead-letter-reason}, {@code dead-letter-cause}, the header names
 * the Kafka connector uses for records it dead-letters itself).
 */
@ApplicationScoped
public class DeadLetters {

    public static final String REASON = "dead-letter-reason";
    public static final String CAUSE = "dead-letter-cause";
    public static final String TOPIC = "dead-letter-topic";
    public static final String ATTEMPTS = "dead-letter-attempts";
    public static final String PARTITION = "dead-letter-partition";
    public static final String OFFSET = "dead-letter-offset";

    private final MutinyEmitter<String> emitter;

    public DeadLetters(@Channel("email-dead-letters") MutinyEmitter<String> emitter) {
        this.emitter = emitter;
    }

    /** Completes once the broker has the record. */
    public Uni<Void> send(SendEmail command, String commandJson, String ceId, String reason, String cause, int attempts) {
        RecordHeaders headers = new RecordHeaders();
        header(headers, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        header(headers, CloudEventHeaders.ID, ceId == null ? command.id() : ceId);
        header(headers, CloudEventHeaders.TYPE, CommandTypes.SEND_EMAIL);
        header(headers, CloudEventHeaders.SOURCE, CloudEventHeaders.source("email-worker"));
        header(headers, CloudEventHeaders.TIME, Timestamps.format(Timestamps.now()));
        header(headers, CloudEventHeaders.SUBJECT, command.externalUserId());
        header(headers, CloudEventHeaders.CORRELATION_ID, command.correlationId());
        header(headers, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        header(headers, REASON, reason);
        header(headers, CAUSE, cause);
        header(headers, TOPIC, Topics.EMAIL_COMMANDS);
        header(headers, ATTEMPTS, Integer.toString(attempts));
        Message<String> message = Message.of(commandJson).addMetadata(OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(Topics.userKey(command.appId(), command.externalUserId()))
                .withHeaders(headers)
                .build());
        return emitter.sendMessage(message);
    }

    /**
     * Sends a record of {@code driploop.email-commands.v1} that could not be delivered (not a SendEmail, or its
     * delivery failed unexpectedly) as it came, with its headers and, as the Kafka connector does for records
     * it dead-letters, {@code dead-letter-reason}, {@code -topic}, {@code -partition} and {@code -offset}.
     * Completes once the broker has the record.
     */
    public Uni<Void> send(ConsumerRecord<String, String> record, String reason) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        header(headers, REASON, reason);
        header(headers, TOPIC, record.topic());
        header(headers, PARTITION, Integer.toString(record.partition()));
        header(headers, OFFSET, Long.toString(record.offset()));
        OutgoingKafkaRecordMetadata.OutgoingKafkaRecordMetadataBuilder<String> metadata =
                OutgoingKafkaRecordMetadata.<String>builder().withHeaders(headers);
        if (record.key() != null) {
            metadata.withKey(record.key());
        }
        return emitter.sendMessage(Message.of(record.value() == null ? "" : record.value()).addMetadata(metadata.build()));
    }

    private static void header(RecordHeaders headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
