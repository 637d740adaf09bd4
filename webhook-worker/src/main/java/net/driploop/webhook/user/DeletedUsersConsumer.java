package net.driploop.webhook.user;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.KafkaHeaders;
import net.driploop.kit.messaging.Outages;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.EventTypes;
import net.driploop.model.event.UserDeleted;
import net.driploop.webhook.delivery.Deliveries;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Keeps {@code webhook.deleted_users} from {@code driploop.events.v1}: after user.deleted a user gets no more
 * webhooks, queued ones included (every claim of a delivery checks); user.registered (a re-activation) lifts it. Both are
 * idempotent, so a redelivered event changes nothing.
 */
@ApplicationScoped
public class DeletedUsersConsumer {

    private static final String DELETE = "INSERT INTO webhook.deleted_users (app_id, external_user_id, deleted_at) "
            + "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    private static final String RESTORE = "DELETE FROM webhook.deleted_users WHERE app_id = $1 AND external_user_id = $2";

    private final Pool pool;
    private final ObjectMapper mapper;
    private final Outages outages;

    public DeletedUsersConsumer(Pool pool, ObjectMapper mapper, Outages outages) {
        this.pool = pool;
        this.mapper = mapper;
        this.outages = outages;
    }

    /** A polled batch, one record after the other: most are other events, skipped by their {@code ce_type}. */
    @Incoming("user-events")
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        return Multi.createFrom().iterable(records)
                .onItem().transformToUniAndConcatenate(this::apply)
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> apply(ConsumerRecord<String, String> record) {
        String ceType = KafkaHeaders.text(record.headers(), CloudEventHeaders.TYPE);
        if (!EventTypes.USER_DELETED.equals(ceType) && !EventTypes.USER_REGISTERED.equals(ceType)) {
            return Uni.createFrom().voidItem();
        }
        UserDeleted user;
        try {
            // every user event carries appId and externalUserId at the top level
            user = mapper.readValue(record.value(), UserDeleted.class);
        } catch (Exception e) {
            Log.warnf("skipped an unreadable %s event %s-%d@%d", ceType, record.topic(), record.partition(), record.offset());
            return Uni.createFrom().voidItem();
        }
        if (user.appId() == null || user.externalUserId() == null) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> work = EventTypes.USER_DELETED.equals(ceType)
                ? pool.preparedQuery(DELETE).execute(Tuple.of(user.appId(), user.externalUserId(),
                        OffsetDateTime.now(ZoneOffset.UTC))).replaceWithVoid()
                : pool.preparedQuery(RESTORE).execute(Tuple.of(user.appId(), user.externalUserId())).replaceWithVoid();
        return outages.waitingOut(() -> work, () -> ceType + " " + record.topic() + "-" + record.partition() + "@"
                + record.offset(), failure -> true, Deliveries.RETRIES);
    }
}
