package net.driploop.flow;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Json;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.log.AutomationLogEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class TraceTest {

    static final ObjectMapper JSON = Json.newMapper();
    static final String ADMIN = "Bearer test-admin-token";
    static final Duration DEADLINE = Duration.ofSeconds(30);
    static KafkaProducer<String, String> producer;

    @BeforeAll
    static void producer() {
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfra.kafka().bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new StringSerializer());
    }

    @AfterAll
    static void close() {
        producer.close();
    }

    @Test
    void returnsTheEntriesOfEveryServiceInTimeOrderWhateverOrderTheyArrivedIn() {
        String cor = Ids.newCorrelationId();
        Instant t0 = Timestamps.now().minusSeconds(60);
        // two entries of the same instant are ordered by id
        List<String> sameInstant = Stream.of(Ids.newId(Ids.LOG_ENTRY), Ids.newId(Ids.LOG_ENTRY)).sorted().toList();
        AutomationLogEntry request = new AutomationLogEntry(sameInstant.get(0), t0, "ingest-api", "api.request", cor,
                "app_1", "user_42", null, null, null, Map.of("method", "POST", "path", "/api/v1/users", "status", 201));
        AutomationLogEntry published = new AutomationLogEntry(sameInstant.get(1), t0, "ingest-api", "event.published",
                cor, "app_1", "user_42", null, null, null, Map.of("topic", Topics.EVENTS, "partition", 2, "offset", 17));
        AutomationLogEntry triggered = entry(cor, t0.plusMillis(40), "flow-engine", "flow.triggered", Map.of());
        AutomationLogEntry waiting = new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), t0.plusMillis(41), "flow-engine",
                "step.waiting", cor, "app_1", "user_42", "flw_1", "exe_1", "wait_1", Map.of("until", "2030-01-01T00:00:00.000Z"));
        AutomationLogEntry sent = entry(cor, t0.plusSeconds(5), "email-worker", "email.sent",
                Map.of("smtpReply", "250 OK", "attempt", 1));
        AutomationLogEntry delivered = entry(cor, t0.plusSeconds(6), "webhook-worker", "webhook.delivered",
                Map.of("httpStatus", 204, "nested", Map.of("ok", true)));
        AutomationLogEntry foreign = entry(Ids.newCorrelationId(), t0.plusMillis(50), "flow-engine", "flow.triggered",
                Map.of());

        for (AutomationLogEntry e : List.of(sent, triggered, foreign, delivered, published, waiting, request)) {
            publish(e);
        }

        List<AutomationLogEntry> expected = List.of(request, published, triggered, waiting, sent, delivered);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(ids(trace(cor))).isEqualTo(ids(expected)));
        JsonPath body = trace(cor);
        assertThat(body.getString("correlationId")).startsWith("cor_").isNotEqualTo(cor);
        assertThat(body.getList("data.service")).containsExactly("ingest-api", "ingest-api", "flow-engine",
                "flow-engine", "email-worker", "webhook-worker");
        assertThat(body.getList("data.type")).containsExactly("api.request", "event.published", "flow.triggered",
                "step.waiting", "email.sent", "webhook.delivered");
        assertThat(body.getList("data.correlationId")).containsOnly(cor);
        assertThat(body.getString("data[0].at")).isEqualTo(Timestamps.format(t0));
        assertThat(body.getMap("data[0].detail")).containsEntry("status", 201).containsEntry("path", "/api/v1/users");
        assertThat(body.getMap("data[0]")).doesNotContainKeys("flowId", "executionId", "stepId");
        assertThat(body.getMap("data[3]")).containsEntry("appId", "app_1").containsEntry("externalUserId", "user_42")
                .containsEntry("flowId", "flw_1").containsEntry("executionId", "exe_1").containsEntry("stepId", "wait_1");
        assertThat(body.getBoolean("data[5].detail.nested.ok")).isTrue();

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(ids(trace(foreign.correlationId())))
                .containsExactly(foreign.id()));
    }

    @Test
    void storesARedeliveredEntryOnceAndKeepsTheFirstCopy() {
        String cor = Ids.newCorrelationId();
        AutomationLogEntry original = entry(cor, Timestamps.now(), "email-worker", "email.sent", Map.of("copy", 1));
        AutomationLogEntry redelivered = new AutomationLogEntry(original.id(), original.at(), original.service(),
                original.type(), cor, null, null, null, null, null, Map.of("copy", 2));
        AutomationLogEntry later = entry(cor, original.at().plusMillis(1), "email-worker", "email.skipped", Map.of());

        publish(original);
        publish(original);
        publish(redelivered);
        // same key, same partition: once the later entry is stored, the copies before it have been consumed
        publish(later);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(ids(trace(cor))).containsExactly(original.id(), later.id()));
        assertThat(trace(cor).getInt("data[0].detail.copy")).isEqualTo(1);
    }

    @Test
    void skipsRecordsThatCannotBeReadAndStoresTheEntriesAfterThem() throws Exception {
        String cor = Ids.newCorrelationId();
        AutomationLogEntry incomplete = new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), null, "flow-engine",
                "flow.triggered", cor, null, null, null, null, null, null);
        AutomationLogEntry nul = entry(cor, Timestamps.now(), "webhook-worker", "webhook.failed",
                Map.of("error", "bad \u0000 byte"));
        publishRaw(cor, Ids.newId(Ids.LOG_ENTRY), "{not json");
        publishRaw(cor, Ids.newId(Ids.LOG_ENTRY), "[1, 2, 3]");
        publishRaw(cor, Ids.newId(Ids.LOG_ENTRY), null);
        publishRaw(cor, incomplete.id(), JSON.writeValueAsString(incomplete));
        publishRaw(cor, Ids.newId(Ids.LOG_ENTRY), "{\"id\": \"log_x\", \"at\": \"yesterday\"}");
        publish(nul);
        AutomationLogEntry first = entry(cor, Timestamps.now(), "ingest-api", "api.request", Map.of("status", 201));
        publish(first);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(ids(trace(cor))).containsExactly(first.id()));

        // and the consumer goes on
        AutomationLogEntry second = entry(cor, first.at().plusMillis(5), "flow-engine", "flow.triggered", Map.of());
        publish(second);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(ids(trace(cor))).containsExactly(first.id(), second.id()));
    }

    @Test
    void answers404ForAnUnknownCorrelationId() {
        given().header("Authorization", ADMIN).get("/admin/v1/traces/" + Ids.newCorrelationId())
                .then().statusCode(404)
                .body("error.code", equalTo("not_found"))
                .body("correlationId", startsWith("cor_"));
        // 64 characters is still a well-formed id
        given().header("Authorization", ADMIN).get("/admin/v1/traces/cor_" + "A".repeat(60))
                .then().statusCode(404).body("error.code", equalTo("not_found"));
    }

    @Test
    void answers422ForAnIdThatCannotBeACorrelationId() {
        for (String id : List.of("usr_01J0000000000000000000000", "COR_01J0000000000000000000000", "cor_" + "A".repeat(61))) {
            given().header("Authorization", ADMIN).get("/admin/v1/traces/" + id)
                    .then().statusCode(422)
                    .body("error.code", equalTo("validation_error"))
                    .body("error.details.correlationId", startsWith("must start with \"cor_\""));
        }
    }

    @Test
    void answers401WithoutTheAdminToken() {
        String cor = Ids.newCorrelationId();
        given().get("/admin/v1/traces/" + cor).then().statusCode(401).body("error.code", equalTo("unauthorized"));
        given().header("Authorization", "Bearer wrong").get("/admin/v1/traces/" + cor)
                .then().statusCode(401).body("error.code", equalTo("unauthorized"))
                .body("error.message", not(startsWith("No automation-log")));
    }

    static AutomationLogEntry entry(String cor, Instant at, String service, String type, Map<String, Object> detail) {
        return new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), at, service, type, cor, "app_1", "user_42", null, null,
                null, detail);
    }

    /** Publishes an entry as every service does: key correlationId, CloudEvents headers, JSON value. */
    static void publish(AutomationLogEntry entry) {
        try {
            publishRaw(entry.correlationId(), entry.id(), JSON.writeValueAsString(entry));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void publishRaw(String correlationId, String ceId, String value) {
        ProducerRecord<String, String> record = new ProducerRecord<>(Topics.AUTOMATION_LOG, correlationId, value);
        header(record, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        header(record, CloudEventHeaders.ID, ceId);
        header(record, CloudEventHeaders.TYPE, AutomationLogEntry.CE_TYPE);
        header(record, CloudEventHeaders.SOURCE, CloudEventHeaders.source("test"));
        header(record, CloudEventHeaders.TIME, Timestamps.format(Timestamps.now()));
        header(record, CloudEventHeaders.CORRELATION_ID, correlationId);
        header(record, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        try {
            producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void header(ProducerRecord<String, String> record, String name, String value) {
        record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The trace as the admin API answers it (any status: callers assert on the entries). */
    static JsonPath trace(String correlationId) {
        return given().header("Authorization", ADMIN).get("/admin/v1/traces/" + correlationId).then().extract().jsonPath();
    }

    static List<String> ids(JsonPath trace) {
        List<String> ids = trace.getList("data.id");
        return ids == null ? List.of() : ids;
    }

    static List<String> ids(List<AutomationLogEntry> entries) {
        return entries.stream().map(AutomationLogEntry::id).toList();
    }
}
