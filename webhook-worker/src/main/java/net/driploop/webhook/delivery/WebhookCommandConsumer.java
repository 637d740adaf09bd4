package net.driploop.webhook.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.Unavailable;
import net.driploop.model.command.CallWebhook;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.time.Duration;
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

    public WebhookCommandConsumer(Deliveries deliveries, ObjectMapper mapper) {
        this.deliveries = deliveries;
        this.mapper = mapper;
    }

    /**
     * Stores one polled batch with one statement. Unreadable records are logged (with their coordinates, for
     * {@code kcat}) and skipped; while PostgreSQL is unreachable the batch is retried with backoff and the
     * partitions wait, since a command has nowhere else to go.
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
        return Uni.createFrom().deferred(() -> deliveries.accept(batch))
                .onFailure(Unavailable::isUnavailable).invoke(failure -> Log.warnf(
                        "cannot store %d webhook commands, retrying: %s", batch.size(), failure.getMessage()))
                .onFailure(Unavailable::isUnavailable).retry()
                .withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30)).indefinitely();
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
