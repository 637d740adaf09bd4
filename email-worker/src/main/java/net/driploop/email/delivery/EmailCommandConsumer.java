package net.driploop.email.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.email.config.EmailConfig;
import net.driploop.email.retry.DeadLetters;
import net.driploop.kit.messaging.KafkaHeaders;
import net.driploop.kit.messaging.Outages;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Topics;
import net.driploop.model.command.SendEmail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Consumes SendEmail commands from {@code driploop.email-commands.v1}, a polled batch at a time. The batch's
 * commands are grouped by user: up to {@code driploop.email.concurrency} users' commands are delivered at
 * once, each user's one after the other in offset order. The batch is acknowledged (and its offsets
 * committed) once every command in it is recorded, so a crash redelivers from the oldest unfinished one,
 * and the ledger refuses what was already claimed. While PostgreSQL cannot be reached, deliveries wait for it
 * ({@link Outages}) and the batch with them. A record that is not a readable command, or whose delivery failed
 * unexpectedly, goes to the dead-letter topic with the reason; one cut short by the shutdown is left for the next
 * instance.
 */
@ApplicationScoped
public class EmailCommandConsumer {

    /** A readable command and the record it came in. */
    private record Received(SendEmail command, ConsumerRecord<String, String> record) {
    }

    private final DeliveryService deliveries;
    private final DeadLetters deadLetters;
    private final ObjectMapper mapper;
    private final int concurrency;
    private final Outages outages;

    public EmailCommandConsumer(DeliveryService deliveries, DeadLetters deadLetters, ObjectMapper mapper,
            EmailConfig config, Outages outages) {
        this.deliveries = deliveries;
        this.deadLetters = deadLetters;
        this.mapper = mapper;
        this.concurrency = config.concurrency();
        this.outages = outages;
    }

    @Incoming("email-commands")
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        Map<String, List<Received>> byUser = new LinkedHashMap<>();
        List<Uni<Void>> unreadable = new ArrayList<>();
        for (ConsumerRecord<String, String> record : records) {
            String problem;
            try {
                SendEmail command = record.value() == null ? null : mapper.readValue(record.value(), SendEmail.class);
                problem = command == null || command.id() == null || command.appId() == null
                        || command.externalUserId() == null || command.correlationId() == null
                        ? "not a SendEmail: id, appId, externalUserId and correlationId are required" : null;
                if (problem == null) {
                    byUser.computeIfAbsent(Topics.userKey(command.appId(), command.externalUserId()),
                            user -> new ArrayList<>()).add(new Received(command, record));
                    continue;
                }
            } catch (JsonProcessingException e) {
                problem = "not a SendEmail: " + e.getOriginalMessage();
            }
            unreadable.add(deadLetter(record, problem));
        }
        Uni<Void> delivered = Multi.createFrom().iterable(byUser.values())
                .onItem().transformToUni(this::deliverInOrder).merge(concurrency)
                .collect().last().replaceWithVoid();
        return unreadable.isEmpty() ? delivered
                : Uni.join().all(unreadable).andCollectFailures().replaceWithVoid().flatMap(v -> delivered);
    }

    /** One user's commands of the batch, one after the other. */
    private Uni<Void> deliverInOrder(List<Received> commands) {
        return Multi.createFrom().iterable(commands)
                .onItem().transformToUniAndConcatenate(received -> Uni.createFrom()
                        .deferred(() -> deliveries.deliver(received.command(),
                                KafkaHeaders.text(received.record().headers(), CloudEventHeaders.ID)))
                        // a delivery cut short by the shutdown is left unacknowledged: the next instance gets it again
                        .onFailure(failure -> !outages.stopping(failure)).recoverWithUni(failure -> {
                            Log.errorf(failure, "email %s: delivery failed unexpectedly; dead-lettered",
                                    received.command().id());
                            return deadLetter(received.record(), "delivery failed: " + failure.getMessage());
                        }))
                .collect().last().replaceWithVoid();
    }

    /** Dead-letters the record (retried until Kafka takes it): the batch is not acknowledged before. */
    private Uni<Void> deadLetter(ConsumerRecord<String, String> record, String reason) {
        Log.warnf("dead-lettering %s-%d@%d (key %s): %s", record.topic(), record.partition(), record.offset(),
                record.key(), reason);
        return deadLetters.send(record, reason);
    }
}
