package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.KafkaHeaders;
import net.driploop.kit.http.JsonCodec;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.command.DeliveryResult;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records what the workers did with each command ({@code driploop.delivery-results.v1}) on the step that sent
 * it, so the executions API shows whether an email went out or a webhook failed. Each result is applied once
 * (its {@code ce_id} is recorded in the same transaction); the latest result of a step wins. A result that fails
 * because the service is stopping is left for redelivery rather than dead-lettered ({@link RecordSettler}).
 */
@ApplicationScoped
public class DeliveryResultConsumer {

    static final String CONSUMER = "delivery-results";

    private final Pool pool;
    private final ObjectMapper mapper;
    private final JsonCodec json;
    private final RecordSettler settler;

    public DeliveryResultConsumer(Pool pool, ObjectMapper mapper, JsonCodec json, RecordSettler settler) {
        this.pool = pool;
        this.mapper = mapper;
        this.json = json;
        this.settler = settler;
    }

    @Incoming("delivery-results")
    public Uni<Void> consume(Message<String> message) {
        String ceId = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(metadata -> KafkaHeaders.text(metadata.getHeaders(), CloudEventHeaders.ID)).orElse(null);
        DeliveryResult result;
        try {
            result = mapper.readValue(message.getPayload(), DeliveryResult.class);
        } catch (Exception e) {
            return Uni.createFrom().completionStage(message.nack(e));
        }
        if (ceId == null || result.executionId() == null || result.stepId() == null || result.appId() == null) {
            Log.warnf("skipping a delivery result without ce_id, app, execution or step (ce_id %s)", ceId);
            return Uni.createFrom().completionStage(message.ack());
        }
        Map<String, Object> delivery = new LinkedHashMap<>();
        delivery.put("status", result.status());
        delivery.put("channel", result.channel());
        delivery.put("commandId", result.commandId());
        delivery.put("at", result.at());
        delivery.put("detail", result.detail());
        return pool.withTransaction(conn -> conn.preparedQuery("""
                                INSERT INTO flow.processed_records (consumer, ce_id) VALUES ($1, $2)
                                ON CONFLICT DO NOTHING RETURNING 1""")
                        .execute(Tuple.of(CONSUMER, ceId))
                        .flatMap(fresh -> fresh.size() == 0 ? Uni.createFrom().voidItem()
                                : conn.preparedQuery("""
                                                UPDATE flow.execution_steps s
                                                SET detail = COALESCE(s.detail, '{}'::jsonb) || jsonb_build_object('delivery', $4::text::jsonb)
                                                FROM flow.executions e
                                                WHERE e.id = s.execution_id AND e.app_id = $1 AND s.execution_id = $2 AND s.step_id = $3""")
                                        .execute(Tuple.of(result.appId(), result.executionId(), result.stepId(),
                                                json.write(delivery)))
                                        .replaceWithVoid()))
                .onItemOrFailure().transformToUni((v, failure) -> settler.settle(message, failure, "delivery result " + ceId));
    }
}
