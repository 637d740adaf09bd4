package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.JsonCodec;
import net.driploop.kit.messaging.DeadLetterSender;
import net.driploop.kit.messaging.KafkaHeaders;
import net.driploop.kit.messaging.Outages;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.command.DeliveryResult;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records what the workers did with each command ({@code driploop.delivery-results.v1}) on the step that sent
 * it, so the executions API shows whether an email went out or a webhook failed. A polled batch is recorded in one
 * transaction and one statement: the results' {@code ce_id}s are recorded (each result applies once) and, per step,
 * the batch's latest result is written on it (the latest result of a step wins). While PostgreSQL is unreachable
 * the batch waits; should it fail otherwise, its results are recorded one by one and one that still fails, or
 * cannot be read, goes to {@code driploop.delivery-results.v1.dlq}. A batch that fails because the service is
 * stopping is left for redelivery ({@link Outages}).
 */
@ApplicationScoped
public class DeliveryResultConsumer {

    static final String CONSUMER = "delivery-results";

    private static final String RECORD = """
            WITH fresh AS (
                INSERT INTO flow.processed_records (consumer, ce_id) SELECT $1, unnest($2::text[])
                ON CONFLICT DO NOTHING RETURNING ce_id),
            latest AS (
                SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                    AS r(ce_id, app_id, execution_id, step_id, delivery))
            UPDATE flow.execution_steps s
            SET detail = COALESCE(s.detail, '{}'::jsonb) || jsonb_build_object('delivery', latest.delivery::jsonb)
            FROM latest JOIN fresh USING (ce_id), flow.executions e
            WHERE e.id = s.execution_id AND e.app_id = latest.app_id
              AND s.execution_id = latest.execution_id AND s.step_id = latest.step_id""";

    /** A readable result and the record it came in. */
    private record Received(String ceId, DeliveryResult result, ConsumerRecord<String, String> record) {
    }

    private final Pool pool;
    private final ObjectMapper mapper;
    private final JsonCodec json;
    private final Outages outages;
    private final DeadLetterSender deadLetters;
    private final MutinyEmitter<String> emitter;

    public DeliveryResultConsumer(Pool pool, ObjectMapper mapper, JsonCodec json, Outages outages,
            DeadLetterSender deadLetters, @Channel("delivery-results-dead-letters") MutinyEmitter<String> emitter) {
        this.pool = pool;
        this.mapper = mapper;
        this.json = json;
        this.outages = outages;
        this.deadLetters = deadLetters;
        this.emitter = emitter;
    }

    @Incoming("delivery-results")
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        List<Received> results = new ArrayList<>();
        List<Uni<Void>> unreadable = new ArrayList<>();
        for (ConsumerRecord<String, String> record : records) {
            String ceId = KafkaHeaders.text(record.headers(), CloudEventHeaders.ID);
            DeliveryResult result;
            try {
                result = mapper.readValue(record.value(), DeliveryResult.class);
            } catch (Exception e) {
                unreadable.add(deadLetters.send(emitter, record, "not a DeliveryResult: " + e.getMessage()));
                continue;
            }
            if (ceId == null || result.executionId() == null || result.stepId() == null || result.appId() == null) {
                Log.warnf("skipping a delivery result without ce_id, app, execution or step (ce_id %s)", ceId);
                continue;
            }
            results.add(new Received(ceId, result, record));
        }
        Uni<Void> recorded = results.isEmpty() ? Uni.createFrom().voidItem()
                : outages.waitingOut(() -> record(results), () -> results.size() + " delivery results")
                        .onFailure(failure -> !outages.stopping(failure) && results.size() > 1)
                        .recoverWithUni(failure -> {
                            Log.warnf("%d delivery results failed together (%s); recording them one by one",
                                    results.size(), failure.getMessage());
                            return Multi.createFrom().iterable(results)
                                    .onItem().transformToUniAndConcatenate(this::recordAlone)
                                    .collect().last().replaceWithVoid();
                        })
                        .onFailure(failure -> !outages.stopping(failure) && results.size() == 1)
                        .recoverWithUni(failure -> deadLetter(results.get(0), failure));
        return Uni.join().all(unreadable).andCollectFailures().replaceWithVoid().flatMap(v -> recorded);
    }

    private Uni<Void> recordAlone(Received received) {
        return record(List.of(received))
                .onFailure(failure -> !outages.stopping(failure)).recoverWithUni(failure -> deadLetter(received, failure));
    }

    private Uni<Void> deadLetter(Received received, Throwable failure) {
        Log.errorf(failure, "delivery result %s sent to the dead-letter topic", received.ceId());
        return deadLetters.send(emitter, received.record(), String.valueOf(failure.getMessage()));
    }

    /** Records the results' ids and writes each step's latest result of them on it, in one statement. */
    private Uni<Void> record(List<Received> results) {
        List<String> ids = new ArrayList<>(results.size());
        Map<String, Received> latestByStep = new LinkedHashMap<>();
        for (Received received : results) {
            ids.add(received.ceId());
            DeliveryResult result = received.result();
            latestByStep.put(result.executionId() + "\u0000" + result.stepId(), received);
        }
        int n = latestByStep.size();
        String[] ceIds = new String[n];
        String[] apps = new String[n];
        String[] executions = new String[n];
        String[] steps = new String[n];
        String[] deliveries = new String[n];
        int i = 0;
        for (Received received : latestByStep.values()) {
            DeliveryResult result = received.result();
            Map<String, Object> delivery = new LinkedHashMap<>();
            delivery.put("status", result.status());
            delivery.put("channel", result.channel());
            delivery.put("commandId", result.commandId());
            delivery.put("at", result.at());
            delivery.put("detail", result.detail());
            ceIds[i] = received.ceId();
            apps[i] = result.appId();
            executions[i] = result.executionId();
            steps[i] = result.stepId();
            deliveries[i] = json.write(delivery);
            i++;
        }
        return pool.preparedQuery(RECORD).execute(Tuple.from(List.of(CONSUMER, ids.toArray(String[]::new), ceIds,
                        apps, executions, steps, deliveries)))
                .replaceWithVoid();
    }
}
