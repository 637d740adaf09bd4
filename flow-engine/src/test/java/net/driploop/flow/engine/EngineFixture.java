package net.driploop.flow.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.EventTypes;
import net.driploop.model.Ids;
import net.driploop.model.Json;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.event.Activity;
import net.driploop.model.event.ActivityRecorded;
import net.driploop.model.event.Purchase;
import net.driploop.model.event.PurchaseRecorded;
import net.driploop.model.event.UserActive;
import net.driploop.model.event.UserDeleted;
import net.driploop.model.event.UserFirstActivity;
import net.driploop.model.event.UserMetadataUpdated;
import net.driploop.model.event.UserRegistered;
import net.driploop.model.event.UserSnapshot;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test helpers for the engine: flows created by SQL, events published to Kafka exactly as ingest-api
 * publishes them (CloudEvents binary headers, JSON value), and reads of what the engine stored.
 */
final class EngineFixture implements AutoCloseable {

    static final ObjectMapper WIRE = Json.newMapper();
    private static final ObjectMapper DEFINITIONS = JsonMapper.builder().enable(JsonReadFeature.ALLOW_SINGLE_QUOTES).build();
    private static final Duration DB = Duration.ofSeconds(10);

    private final Pool pool;
    private final KafkaProducer<String, String> producer;

    EngineFixture(Pool pool) {
        this.pool = pool;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    static String bootstrapServers() {
        return TestInfra.kafka().bootstrapServers();
    }

    static TopicReader reader(String topic) {
        return new TopicReader(bootstrapServers(), topic);
    }

    static String newApp() {
        return Ids.newId(Ids.APP);
    }

    /** Stores an active flow (version 1) from definition JSON, single quotes allowed; returns its id. */
    String createFlow(String appId, String definition) {
        JsonNode json = parse(definition);
        String id = Ids.newId(Ids.FLOW);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        pool.withTransaction(sql -> sql.preparedQuery("""
                                INSERT INTO flow.flows (id, app_id, name, status, version, trigger_type, trigger_event, created_at, updated_at)
                                VALUES ($1, $2, $3, 'active', 1, $4, $5, $6, $6)""")
                        .execute(Tuple.of(id, appId, json.path("name").asText("Test"), json.path("trigger").path("type").asText(),
                                json.path("trigger").path("event").textValue(), now))
                        .flatMap(v -> sql.preparedQuery("""
                                        INSERT INTO flow.flow_versions (flow_id, version, definition, created_at)
                                        VALUES ($1, 1, $2::text::jsonb, $3)""")
                                .execute(Tuple.of(id, json.toString(), now))))
                .await().atMost(DB);
        return id;
    }

    static JsonNode parse(String definition) {
        try {
            return DEFINITIONS.readTree(definition);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static UserSnapshot user(String externalUserId, String email, Map<String, Object> metadata) {
        Instant now = Timestamps.now();
        return new UserSnapshot(Ids.newId(Ids.USER), externalUserId, email, metadata, UserSnapshot.ACTIVE, now, now,
                null, null);
    }

    /** Publishes user.registered; returns its ce_id. */
    String registered(String correlationId, String appId, UserSnapshot user) {
        return publish(Ids.newId(Ids.EVENT), EventTypes.USER_REGISTERED, correlationId, appId, user.externalUserId(),
                new UserRegistered(appId, user.externalUserId(), user, false, Timestamps.now()));
    }

    String metadataUpdated(String correlationId, String appId, UserSnapshot user, Map<String, Object> changes) {
        return publish(Ids.newId(Ids.EVENT), EventTypes.USER_METADATA_UPDATED, correlationId, appId,
                user.externalUserId(), new UserMetadataUpdated(appId, user.externalUserId(), user, changes,
                        Timestamps.now()));
    }

    /** Publishes an activity as ingest-api does: user.active, then activity.recorded; returns the latter's ce_id. */
    String activity(String correlationId, String appId, UserSnapshot user, String name, Map<String, Object> metadata) {
        Instant at = Timestamps.now();
        Activity activity = new Activity(Ids.newId(Ids.ACTIVITY), name, metadata, at);
        publish(Ids.newId(Ids.EVENT), EventTypes.USER_ACTIVE, correlationId, appId, user.externalUserId(),
                new UserActive(appId, user.externalUserId(), user, activity, at));
        return publish(Ids.newId(Ids.EVENT), EventTypes.ACTIVITY_RECORDED, correlationId, appId, user.externalUserId(),
                new ActivityRecorded(appId, user.externalUserId(), user, activity, at));
    }

    /** Publishes purchase.recorded with the purchase's end date; returns its ce_id. */
    String purchase(String correlationId, String appId, UserSnapshot user, String productId, Instant endDate) {
        Purchase purchase = new Purchase(Ids.newId(Ids.PURCHASE), Timestamps.now(), endDate, productId,
                new BigDecimal("49.90"), "EUR", Timestamps.now());
        return publish(Ids.newId(Ids.EVENT), EventTypes.PURCHASE_RECORDED, correlationId, appId, user.externalUserId(),
                new PurchaseRecorded(appId, user.externalUserId(), user, purchase, Timestamps.now()));
    }

    /** Publishes user.first_activity; returns its ce_id. */
    String firstActivity(String correlationId, String appId, UserSnapshot user, String name) {
        Activity activity = new Activity(Ids.newId(Ids.ACTIVITY), name, Map.of(), Timestamps.now());
        return publish(Ids.newId(Ids.EVENT), EventTypes.USER_FIRST_ACTIVITY, correlationId, appId, user.externalUserId(),
                new UserFirstActivity(appId, user.externalUserId(), user, activity, Timestamps.now()));
    }

    String deleted(String correlationId, String appId, String externalUserId) {
        return publish(Ids.newId(Ids.EVENT), EventTypes.USER_DELETED, correlationId, appId, externalUserId,
                new UserDeleted(appId, externalUserId, null, true, false, Timestamps.now()));
    }

    /** Publishes one record with ingest-api's key and CloudEvents headers, waiting for the broker's ack. */
    String publish(String ceId, String ceType, String correlationId, String appId, String externalUserId, Object event) {
        try {
            ProducerRecord<String, String> record = new ProducerRecord<>(Topics.EVENTS, null,
                    Topics.userKey(appId, externalUserId), WIRE.writeValueAsString(event));
            header(record, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
            header(record, CloudEventHeaders.ID, ceId);
            header(record, CloudEventHeaders.TYPE, ceType);
            header(record, CloudEventHeaders.SOURCE, CloudEventHeaders.source("ingest-api"));
            header(record, CloudEventHeaders.TIME, Timestamps.format(Timestamps.now()));
            header(record, CloudEventHeaders.SUBJECT, externalUserId);
            header(record, CloudEventHeaders.CORRELATION_ID, correlationId);
            header(record, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
            producer.send(record).get();
            return ceId;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void header(ProducerRecord<String, String> record, String name, String value) {
        record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether the engine has applied the record with this ce_id. */
    boolean processed(String ceId) {
        return count("SELECT count(*) FROM flow.processed_records WHERE consumer = 'events' AND ce_id = $1", ceId) == 1;
    }

    long count(String sql, Object... params) {
        return pool.preparedQuery(sql).execute(Tuple.from(List.of(params))).await().atMost(DB)
                .iterator().next().getLong(0);
    }

    /** The executions of a user of an app: id, status and end reason, oldest first. */
    List<Map<String, String>> executions(String appId, String externalUserId) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Row row : pool.preparedQuery("SELECT id, status, COALESCE(end_reason, '') AS end_reason FROM flow.executions "
                        + "WHERE app_id = $1 AND external_user_id = $2 ORDER BY started_at, id")
                .execute(Tuple.of(appId, externalUserId)).await().atMost(DB)) {
            out.add(Map.of("id", row.getString("id"), "status", row.getString("status"),
                    "endReason", row.getString("end_reason")));
        }
        return out;
    }

    /** Commands of one user on a command topic, read so far. */
    static List<TopicReader.Message> commandsFor(TopicReader reader, String appId, String externalUserId) {
        return reader.poll(m -> Topics.userKey(appId, externalUserId).equals(m.key()));
    }

    static JsonNode json(String text) {
        try {
            return WIRE.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
