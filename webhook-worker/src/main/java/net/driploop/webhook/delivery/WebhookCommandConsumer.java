package net.driploop.webhook.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.Unavailable;
import net.driploop.model.command.CallWebhook;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.time.Duration;

/**
 * Takes CallWebhook commands from {@code driploop.webhook-commands.v1} into the delivery ledger. The record is
 * acknowledged once stored: the HTTP call runs beside the partition, so a slow receiver never holds it.
 */
@ApplicationScoped
public class WebhookCommandConsumer {

    private final Deliveries deliveries;
    private final ObjectMapper mapper;

    public WebhookCommandConsumer(Deliveries deliveries, ObjectMapper mapper) {
        this.deliveries = deliveries;
        this.mapper = mapper;
    }

    @Incoming("webhook-commands")
    public Uni<Void> consume(ConsumerRecord<String, String> record) {
        CallWebhook command = read(record);
        if (command == null) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> deliveries.accept(command, record.value()))
                .onFailure(Unavailable::isUnavailable).invoke(failure -> Log.warnf(
                        "cannot store webhook command %s, retrying: %s", command.id(), failure.getMessage()))
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
