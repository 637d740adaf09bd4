package net.driploop.email.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.KafkaHeaders;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.command.SendEmail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Consumes SendEmail commands from {@code driploop.email-commands.v1}. A record that is not a readable
 * command fails and is dead-lettered by the connector; everything else is delivered (or skipped, retried,
 * failed) by {@link DeliveryService}, which never holds the partition longer than one SMTP attempt.
 */
@ApplicationScoped
public class EmailCommandConsumer {

    private final DeliveryService deliveries;
    private final ObjectMapper mapper;

    public EmailCommandConsumer(DeliveryService deliveries, ObjectMapper mapper) {
        this.deliveries = deliveries;
        this.mapper = mapper;
    }

    @Incoming("email-commands")
    public Uni<Void> consume(ConsumerRecord<String, String> record) {
        SendEmail command;
        try {
            command = record.value() == null ? null : mapper.readValue(record.value(), SendEmail.class);
        } catch (JsonProcessingException e) {
            return Uni.createFrom().failure(new IllegalArgumentException("not a SendEmail: " + e.getOriginalMessage()));
        }
        if (command == null || command.id() == null || command.appId() == null || command.externalUserId() == null
                || command.correlationId() == null) {
            return Uni.createFrom().failure(new IllegalArgumentException(
                    "not a SendEmail: id, appId, externalUserId and correlationId are required"));
        }
        return deliveries.deliver(command, KafkaHeaders.text(record.headers(), CloudEventHeaders.ID));
    }
}
