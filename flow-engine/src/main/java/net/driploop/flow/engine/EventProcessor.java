package net.driploop.flow.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;
import net.driploop.model.EventTypes;
import net.driploop.model.event.Activity;
import net.driploop.model.event.ActivityRecorded;
import net.driploop.model.event.PurchaseRecorded;
import net.driploop.model.event.UserActive;
import net.driploop.model.event.UserDeleted;
import net.driploop.model.event.UserEvent;
import net.driploop.model.event.UserFirstActivity;
import net.driploop.model.event.UserMetadataUpdated;
import net.driploop.model.event.UserRegistered;
import net.driploop.model.event.UserSnapshot;

import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Applies records of {@code driploop.events.v1} (one, or several of one user) in one transaction: dedup on
 * {@code ce_id}, the user projection, cancellation on deletion, exitWhen, awaited events, triggers; then hands the outbox rows to the relay.
 */
@ApplicationScoped
class EventProcessor {

    static final String CONSUMER = "events";

    private static final Map<String, Class<? extends UserEvent>> TYPES = Map.of(
            EventTypes.USER_REGISTERED, UserRegistered.class,
            EventTypes.USER_METADATA_UPDATED, UserMetadataUpdated.class,
            EventTypes.USER_FIRST_ACTIVITY, UserFirstActivity.class,
            EventTypes.USER_ACTIVE, UserActive.class,
            EventTypes.ACTIVITY_RECORDED, ActivityRecorded.class,
            EventTypes.PURCHASE_RECORDED, PurchaseRecorded.class,
            EventTypes.USER_DELETED, UserDeleted.class);

    private final Pool pool;
    private final ObjectMapper mapper;
    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final UserProjection users;
    private final FlowCatalog catalog;
    private final ExecutionRunner runner;

    EventProcessor(Pool pool, ObjectMapper mapper, OutboxWriter outbox, OutboxRelay relay, UserProjection users,
            FlowCatalog catalog, ExecutionRunner runner) {
        this.pool = pool;
        this.mapper = mapper;
        this.outbox = outbox;
        this.relay = relay;
        this.users = users;
        this.catalog = catalog;
        this.runner = runner;
    }

    /** The event a record carries; empty for types the engine does not act on (app.* and future ones). */
    Optional<IncomingEvent> read(String ceId, String ceType, String correlationId, String value) {
        Class<? extends UserEvent> type = TYPES.get(ceType);
        if (type == null) {
            return Optional.empty();
        }
        try {
            UserEvent event = mapper.readValue(value, type);
            ObjectNode triggerData = mapper.createObjectNode();
            ObjectNode eventNode = triggerData.putObject("event");
            String activityName = null;
            Activity activity = event instanceof ActivityRecorded a ? a.activity()
                    : event instanceof UserActive a ? a.activity()
                    : event instanceof UserFirstActivity a ? a.activity() : null;
            if (activity != null) {
                activityName = activity.name();
                eventNode.put("name", activity.name());
                eventNode.set("metadata", mapper.valueToTree(activity.metadata() == null ? Map.of() : activity.metadata()));
            } else {
                eventNode.put("name", ceType);
                Map<String, Object> metadata = event instanceof UserMetadataUpdated m && m.changes() != null
                        ? m.changes() : Map.of();
                eventNode.set("metadata", mapper.valueToTree(metadata));
            }
            if (event instanceof PurchaseRecorded purchase && purchase.purchase() != null) {
                triggerData.set("purchase", mapper.valueToTree(purchase.purchase()));
            }
            return Optional.of(new IncomingEvent(ceId, ceType, correlationId, event, triggerData, activityName));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Applies the event once: a redelivered {@code ce_id} changes nothing. */
    Uni<Void> process(IncomingEvent in) {
        return process(List.of(in));
    }

    /**
     * Applies one user's events in order, in one transaction, each once: the ids of all are recorded with one
     * statement, and an event whose {@code ce_id} was already recorded (a redelivery, or a copy earlier in the list)
     * changes nothing. The outbox rows of all go to the relay after the commit.
     */
    Uni<Void> process(List<IncomingEvent> events) {
        Effects effects = new Effects();
        String[] ids = events.stream().map(IncomingEvent::ceId).toArray(String[]::new);
        String appId = events.stream().map(in -> in.event().appId()).distinct().count() == 1
                ? events.get(0).event().appId() : null;
        return pool.withTransaction(sql -> sql.preparedQuery("""
                                INSERT INTO flow.processed_records (consumer, ce_id) SELECT $1, unnest($2::text[])
                                ON CONFLICT DO NOTHING
                                RETURNING ce_id,
                                    COALESCE((SELECT version FROM flow.catalog_versions WHERE app_id = $3), 0) AS catalog""")
                        .execute(Tuple.of(CONSUMER, ids, appId))
                        .flatMap(inserted -> {
                            Set<String> fresh = new HashSet<>();
                            long catalogVersion = FlowCatalog.UNKNOWN_VERSION;
                            for (Row row : inserted) {
                                fresh.add(row.getString("ce_id"));
                                catalogVersion = appId == null ? FlowCatalog.UNKNOWN_VERSION : row.getLong("catalog");
                            }
                            UserTransaction tx = new UserTransaction(catalogVersion, effects);
                            return Sql.each(events.stream().filter(in -> fresh.remove(in.ceId())).toList(),
                                    in -> apply(sql, in, tx));
                        })
                        .flatMap(v -> effects.isEmpty() ? Uni.createFrom().item(List.<StoredRecord>of())
                                : outbox.insert(sql, effects.records())))
                .invoke(relay::publish)
                .replaceWithVoid();
    }

    /**
     * What the events of one transaction share: the app's catalog version, the effects, and the user's state as the
     * last snapshot left it (with what that snapshot was), so that the next event carrying the same snapshot (an
     * activity call's {@code user.active} and {@code activity.recorded}) neither stores it again nor checks exits
     * again: nothing an exit condition sees has changed since they were checked.
     */
    private static final class UserTransaction {
        final long catalogVersion;
        final Effects effects;
        List<Object> snapshotApplied;
        UserState state;

        UserTransaction(long catalogVersion, Effects effects) {
            this.catalogVersion = catalogVersion;
            this.effects = effects;
        }
    }

    private Uni<Void> apply(SqlClient sql, IncomingEvent in, UserTransaction tx) {
        UserEvent event = in.event();
        Effects effects = tx.effects;
        if (event instanceof UserDeleted deleted) {
            tx.snapshotApplied = null;
            return runner.cancelAll(sql, deleted.appId(), deleted.externalUserId(), in.correlationId(), effects)
                    .flatMap(v -> users.remove(sql, deleted.appId(), deleted.externalUserId(), deleted.deleted()))
                    .replaceWithVoid();
        }
        UserSnapshot snapshot = snapshot(event);
        Uni<UserProjection.Projected> projected;
        if (snapshot == null) {
            tx.snapshotApplied = null;
            projected = users.load(sql, event.appId(), event.externalUserId())
                    .map(state -> new UserProjection.Projected(state, true));
        } else {
            JsonNode purchase = in.triggerData().get("purchase");
            List<Object> applied = Arrays.asList(event.appId(), snapshot, purchase);
            if (applied.equals(tx.snapshotApplied)) {
                projected = Uni.createFrom().item(new UserProjection.Projected(tx.state, false));
            } else {
                projected = users.apply(sql, event.appId(), snapshot, purchase, event.occurredAt()).invoke(p -> {
                    tx.snapshotApplied = applied;
                    tx.state = p.state();
                });
            }
        }
        return projected.flatMap(p -> {
            UserState user = p.state();
            // exitWhen is checked whenever what it sees changes; unchanged, every live execution was checked against
            // this very state already (when it last changed, or before the execution's last step)
            Uni<Void> exits = p.changed() ? runner.exitMatching(sql, user, in.correlationId(), effects)
                    : Uni.createFrom().voidItem();
            return exits
                    .flatMap(v -> EventTypes.ACTIVITY_RECORDED.equals(in.ceType())
                            ? runner.deliverAwaited(sql, in, user, effects) : Uni.createFrom().voidItem())
                    .flatMap(v -> catalog.activeFlows(sql, event.appId(), in.ceType(), in.activityName(),
                            tx.catalogVersion))
                    .flatMap(flows -> Sql.each(flows, flow -> runner.start(sql, flow, in, user, effects)));
        });
    }

    private static UserSnapshot snapshot(UserEvent event) {
        if (event instanceof UserRegistered e) {
            return withId(e.user(), e.externalUserId());
        }
        if (event instanceof UserMetadataUpdated e) {
            return withId(e.user(), e.externalUserId());
        }
        if (event instanceof UserFirstActivity e) {
            return withId(e.user(), e.externalUserId());
        }
        if (event instanceof UserActive e) {
            return withId(e.user(), e.externalUserId());
        }
        if (event instanceof ActivityRecorded e) {
            return withId(e.user(), e.externalUserId());
        }
        if (event instanceof PurchaseRecorded e) {
            return withId(e.user(), e.externalUserId());
        }
        return null;
    }

    /** The snapshot, with the event's externalUserId should the snapshot lack it. */
    private static UserSnapshot withId(UserSnapshot user, String externalUserId) {
        if (user == null || user.externalUserId() != null) {
            return user;
        }
        return new UserSnapshot(user.id(), externalUserId, user.email(), user.metadata(), user.status(),
                user.createdAt(), user.updatedAt(), user.firstActivityAt(), user.lastActiveAt());
    }
}
