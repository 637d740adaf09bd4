package net.driploop.email.deletion;

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
import net.driploop.model.event.UserRegistered;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Records {@code user.deleted} events from {@code driploop.events.v1} in {@code email.deleted_users}, so that
 * the worker refuses every later command for that user, also those already queued; a later
 * {@code user.registered} of the same user lets commands requested after the deletion through. Other events
 * are ignored.
 */
@ApplicationScoped
public class UserDeletionConsumer {

    /** Records the deletion and the event's ce_id in one statement; a redelivered event changes nothing. */
    private static final String RECORD = """
            WITH seen AS (
                INSERT INTO email.processed_records (consumer, ce_id) VALUES ('deletions', $1)
                ON CONFLICT DO NOTHING RETURNING ce_id)
            INSERT INTO email.deleted_users (app_id, external_user_id, deleted_at)
            SELECT $2, $3, $4 FROM seen
            ON CONFLICT (app_id, external_user_id) DO UPDATE SET
                deleted_at = greatest(email.deleted_users.deleted_at, excluded.deleted_at),
                reactivated_at = CASE WHEN excluded.deleted_at >= coalesce(email.deleted_users.reactivated_at, '-infinity')
                                      THEN NULL ELSE email.deleted_users.reactivated_at END""";

    /** A user registered again after a deletion: later commands for them are sent again. */
    private static final String REACTIVATE = """
            UPDATE email.deleted_users SET reactivated_at = greatest(reactivated_at, $3)
            WHERE app_id = $1 AND external_user_id = $2 AND deleted_at <= $3""";

    private final Pool pool;
    private final ObjectMapper mapper;
    private final Outages outages;

    public UserDeletionConsumer(Pool pool, ObjectMapper mapper, Outages outages) {
        this.pool = pool;
        this.mapper = mapper;
        this.outages = outages;
    }

    /** A polled batch, one record after the other: most are other events, skipped by their {@code ce_type}. */
    @Incoming("user-deletions")
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        return Multi.createFrom().iterable(records)
                .onItem().transformToUniAndConcatenate(this::apply)
                .collect().last().replaceWithVoid();
    }

    private Uni<Void> apply(ConsumerRecord<String, String> record) {
        String type = KafkaHeaders.text(record.headers(), CloudEventHeaders.TYPE);
        if (record.value() == null) {
            return Uni.createFrom().voidItem();
        }
        if (EventTypes.USER_REGISTERED.equals(type)) {
            return reactivate(record);
        }
        if (!EventTypes.USER_DELETED.equals(type)) {
            return Uni.createFrom().voidItem();
        }
        UserDeleted event;
        try {
            event = mapper.readValue(record.value(), UserDeleted.class);
        } catch (JsonProcessingException e) {
            Log.warnf("skipped an unreadable user.deleted record %s-%d@%d: %s", record.topic(), record.partition(),
                    record.offset(), e.getOriginalMessage());
            return Uni.createFrom().voidItem();
        }
        String ceId = KafkaHeaders.text(record.headers(), CloudEventHeaders.ID);
        OffsetDateTime at = OffsetDateTime.ofInstant(
                event.occurredAt() == null ? java.time.Instant.now() : event.occurredAt(), ZoneOffset.UTC);
        return outages.waitingOut(() -> pool.preparedQuery(RECORD)
                        .execute(Tuple.of(ceId == null ? record.topic() + "-" + record.partition() + "@" + record.offset()
                                : ceId, event.appId(), event.externalUserId(), at)),
                () -> "the deletion of " + record.key())
                .replaceWithVoid();
    }

    private Uni<Void> reactivate(ConsumerRecord<String, String> record) {
        UserRegistered event;
        try {
            event = mapper.readValue(record.value(), UserRegistered.class);
        } catch (JsonProcessingException e) {
            Log.warnf("skipped an unreadable user.registered record %s-%d@%d: %s", record.topic(), record.partition(),
                    record.offset(), e.getOriginalMessage());
            return Uni.createFrom().voidItem();
        }
        OffsetDateTime at = OffsetDateTime.ofInstant(
                event.occurredAt() == null ? java.time.Instant.now() : event.occurredAt(), ZoneOffset.UTC);
        return outages.waitingOut(() -> pool.preparedQuery(REACTIVATE)
                        .execute(Tuple.of(event.appId(), event.externalUserId(), at)),
                () -> "the registration of " + record.key())
                .replaceWithVoid();
    }
}
