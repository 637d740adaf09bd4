package net.driploop.webhook.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.Outages;
import net.driploop.model.command.CallWebhook;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.List;

/**
 * Takes CallWebhook commands from {@code driploop.webhook-commands.v1} into the delivery ledger, a batch per
 * statement. Records are acknowledged once stored: the HTTP call runs beside the partition, so a slow receiver never holds it.
 */
@ApplicationScoped
public class WebhookCommandConsumer {

    private final Deliveries deliveries;
    private final ObjectMapper mapper;
    private final Outages outages;

    public WebhookCommandConsumer(Deliveries deliveries, ObjectMapper mapper, Outages outages) {
        this.deliveries = deliveries;
        this.mapper = mapper;
        this.outages = outages;
    }

    /**
     * Stores one polled batch with one statement. Unreadable records are logged (with their coordinates, for
     * {@code kcat}) and skipped. While PostgreSQL is unreachable the batch is retried ({@link Outages}) and the
     * partitions wait, however long: a command has nowhere else to go (there is no age limit on unacknowledged
     * records, see application.properties). Another failure is retried a few times, then fails the channel with the
     * batch unacknowledged, to be consumed again: nothing is dead-lettered here.
     */
    @Incoming("webhook-commands")
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        List<Deliveries.Received> batch = new ArrayList<>(records.count());
        for (ConsumerRecord<String, String> record : records) {
            CallWebhook command = read(record);
            if (command != null) {
                batch.add(new Deliveries.Received(command, record.value(), record.partition(), record.offset()));
            }
        }
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return outages.waitingOut(() -> deliveries.accept(batch), () -> "storing " + batch.size() + " webhook commands",
                failure -> true, Deliveries.RETRIES);
    }

    /** The record's command, or null (logged with its coordinates, for kcat) when it cannot be one. */
    private CallWebhook read(ConsumerRecord<String, String> record) {
        String problem;
        try {
            CallWebhook command = record.value() == null ? null : mapper.readValue(record.value(), CallWebhook.class);
            problem = command == null ? "no value"
                    : blank(command.id()) ? "id is missing"
                    : blank(command.appId()) || blank(command.externalUserId()) ? "appId or externalUserId is missing"
                    : blank(command.url()) ? "url is missing"
                    : blank(command.correlationId()) ? "correlationId is missing" : null;
            if (problem == null) {
                return command;
            }
        } catch (Exception e) {
            problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        }
        Log.warnf("skipped an unreadable webhook command %s-%d@%d (key %s): %s", record.topic(), record.partition(),
                record.offset(), record.key(), problem);
        return null;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
