package net.driploop.webhook.delivery;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.HttpReceiver;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.DeadLetterHeaders;
import net.driploop.model.EventTypes;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.command.CallWebhook;
import net.driploop.model.command.CommandTypes;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static net.driploop.webhook.delivery.Commands.command;
import static net.driploop.webhook.delivery.Commands.publish;
import static net.driploop.webhook.delivery.Commands.published;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class WebhookDeliveryTest {

    static final Duration DEADLINE = Duration.ofSeconds(30);

    @Inject
    Pool pool;
    static HttpReceiver receiver;
    static TopicReader results;
    static TopicReader log;
    static TopicReader dlq;

    @BeforeAll
    static void start() throws Exception {
        receiver = new HttpReceiver();
        String kafka = TestInfra.kafka().bootstrapServers();
        results = new TopicReader(kafka, Topics.DELIVERY_RESULTS);
        log = new TopicReader(kafka, Topics.AUTOMATION_LOG);
        dlq = new TopicReader(kafka, Topics.dlq(Topics.WEBHOOK_COMMANDS));
    }

    @AfterAll
    static void stop() {
        receiver.close();
        results.close();
        log.close();
        dlq.close();
    }

    @Test
    void deliversTheStandardPayloadSignedSoThatAnIndependentVerifierAcceptsIt() throws Exception {
        String app = Ids.newId(Ids.APP);
        String path = path();
        CallWebhook command = command(app, receiver.url(path), null, null,
                Map.of("user", Map.of("externalUserId", "user_42", "email", "a@example.com"),
                        "event", Map.of("name", "checkout_completed")));
        publish(command);

        await().atMost(DEADLINE).until(() -> receiver.received(path).size() == 1);
        HttpReceiver.Received request = receiver.received(path).get(0);
        String secret = secret(app);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.header("webhook-id")).isEqualTo(command.id());
        long timestamp = Long.parseLong(request.header("webhook-timestamp"));
        assertThat(Math.abs(Instant.now().getEpochSecond() - timestamp)).isLessThan(60);
        assertThat(HttpReceiver.hasValidSignature(secret, request)).isTrue();
        assertThat(request.header("content-type")).startsWith("application/json");
        Map<?, ?> body = Commands.JSON.readValue(request.body(), Map.class);
        assertThat(body.get("app")).isEqualTo(Map.of("id", app));
        assertThat(body.get("correlationId")).isEqualTo(command.correlationId());
        assertThat(((Map<?, ?>) body.get("user")).get("email")).isEqualTo("a@example.com");
        assertThat(((Map<?, ?>) body.get("event")).get("name")).isEqualTo("checkout_completed");
        assertThat(((Map<?, ?>) body.get("flow")).get("id")).isEqualTo(command.flowId());
        assertThat(((Map<?, ?>) body.get("execution")).get("id")).isEqualTo(command.executionId());

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("sent"));
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logTypes(command)).containsExactly("webhook.delivered"));
        Map<String, Object> delivered = published(log, command.correlationId()).get(0);
        assertThat((Map<String, Object>) delivered.get("detail")).containsEntry("httpStatus", 200).containsKey("latencyMs");
        assertThat(delivered.get("service")).isEqualTo("webhook-worker");
        // the secret never travels on Kafka
        assertThat(results.poll(m -> m.value().contains(secret.substring(6)))).isEmpty();
        assertThat(log.poll(m -> m.value().contains(secret.substring(6)))).isEmpty();
        // latency is measured by HTTP status
        assertThat(given().get("/q/metrics").then().statusCode(200).extract().asString())
                .contains("driploop_webhook_latency_seconds_count{status=\"200\"");
    }

    @Test
    void rendersTheUrlHeaderValuesAndStringLeavesOfTheBodyFromTheData() throws Exception {
        String path = path();
        Map<String, Object> data = Map.of("user", Map.of("metadata", Map.of("plan", "pro \"gold\"", "seats", 3)));
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(path) + "?plan={user.metadata.seats}",
                Map.of("x-plan", "plan-{user.metadata.seats}"),
                Map.of("text", "Plan {user.metadata.plan}", "n", 7, "list", List.of("{user.metadata.seats}")), data);
        publish(command);

        await().atMost(DEADLINE).until(() -> receiver.received(path).size() == 1);
        HttpReceiver.Received request = receiver.received(path).get(0);
        assertThat(request.path()).isEqualTo(path + "?plan=3");
        assertThat(request.header("x-plan")).isEqualTo("plan-3");
        Map<?, ?> body = Commands.JSON.readValue(request.body(), Map.class);
        assertThat(body.get("text")).isEqualTo("Plan pro \"gold\"");
        assertThat(body.get("n")).isEqualTo(7);
        assertThat(body.get("list")).isEqualTo(List.of("3"));
    }

    @Test
    void retriesAfterA500WithTheSameWebhookIdUntilDelivered() throws Exception {
        String app = Ids.newId(Ids.APP);
        String path = path();
        receiver.script(path, HttpReceiver.Reply.of(500), HttpReceiver.Reply.of(200));
        CallWebhook command = command(app, receiver.url(path), null, null, Map.of());
        publish(command);

        await().atMost(DEADLINE).until(() -> receiver.received(path).size() == 2);
        String secret = secret(app);
        for (HttpReceiver.Received request : receiver.received(path)) {
            assertThat(request.header("webhook-id")).isEqualTo(command.id());
            assertThat(HttpReceiver.hasValidSignature(secret, request)).isTrue();
        }
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("retrying", "sent"));
        Map<String, Object> retrying = published(results, command.id()).get(0);
        assertThat((Map<String, Object>) retrying.get("detail")).containsEntry("httpStatus", 500).containsKey("nextAttemptAt");
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logTypes(command))
                .containsExactly("webhook.failed", "webhook.delivered"));
    }

    @Test
    void stopsAfterA410Gone() {
        String path = path();
        receiver.script(path, HttpReceiver.Reply.of(410));
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(path), null, null, Map.of());
        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("failed"));
        // three retry delays of 0.5 s pass: no second call
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> receiver.received(path).size() == 1);
        assertThat((Map<String, Object>) published(results, command.id()).get(0).get("detail"))
                .containsEntry("httpStatus", 410);
    }

    @Test
    void honoursRetryAfterOn503() {
        String path = path();
        receiver.script(path, new HttpReceiver.Reply(503, Map.of("Retry-After", "3")), HttpReceiver.Reply.of(200));
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(path), null, null, Map.of());
        publish(command);

        await().atMost(DEADLINE).until(() -> receiver.received(path).size() == 2);
        List<HttpReceiver.Received> calls = receiver.received(path);
        // the schedule says 0.5 s; the receiver asked for 3 s
        assertThat(calls.get(1).atMillis() - calls.get(0).atMillis()).isGreaterThanOrEqualTo(2_900);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("retrying", "sent"));
    }

    @Test
    void sendsACommandToTheDeadLetterTopicWhenEveryRetryFailedWithTheReasonInItsHeaders() throws Exception {
        String path = path();
        receiver.script(path, HttpReceiver.Reply.of(500));
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(path), null, null, Map.of());
        RecordMetadata source = publish(command);

        // one attempt and three retries (%test schedule), then the DLQ
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command))
                .containsExactly("retrying", "retrying", "retrying", "failed"));
        assertThat(receiver.received(path)).hasSize(4);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(dlq.poll(m -> command.id().equals(m.header("ce_id"))))
                .singleElement().satisfies(m -> {
                    assertThat(m.key()).isEqualTo(Topics.userKey(command.appId(), command.externalUserId()));
                    assertThat(Commands.JSON.readValue(m.value(), CallWebhook.class)).isEqualTo(command);
                    assertThat(m.header(DeadLetterHeaders.REASON)).isEqualTo(DeadLetterHeaders.RETRIES_EXHAUSTED);
                    assertThat(m.header(DeadLetterHeaders.CAUSE)).isEqualTo("HTTP 500");
                    assertThat(m.header(DeadLetterHeaders.ATTEMPTS)).isEqualTo("4");
                    assertThat(m.header(DeadLetterHeaders.TOPIC)).isEqualTo(Topics.WEBHOOK_COMMANDS);
                    assertThat(m.header(DeadLetterHeaders.PARTITION)).isEqualTo(String.valueOf(source.partition()));
                    assertThat(m.header(DeadLetterHeaders.OFFSET)).isEqualTo(String.valueOf(source.offset()));
                    assertThat(m.header(CloudEventHeaders.TYPE)).isEqualTo(CommandTypes.CALL_WEBHOOK);
                    assertThat(m.header(CloudEventHeaders.CORRELATION_ID)).isEqualTo(command.correlationId());
                }));
    }

    @Test
    void aRedeliveredCommandIsSentOnce() {
        String path = path();
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(path), null, null, Map.of());
        publish(command);
        publish(command);
        CallWebhook marker = command(command.appId(), receiver.url(path), null, null, Map.of());
        publish(marker);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(marker)).containsExactly("sent"));
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("sent"));
        assertThat(receiver.received(path)).extracting(r -> r.header("webhook-id"))
                .containsExactlyInAnyOrder(command.id(), marker.id());
    }

    @Test
    void retriesATimedOutRequestWithTheSameWebhookId() {
        String path = path();
        receiver.script(path, HttpReceiver.Reply.hang(), HttpReceiver.Reply.of(204));
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(path), null, null, Map.of());
        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("retrying", "sent"));
        assertThat(receiver.received(path)).extracting(r -> r.header("webhook-id")).containsExactly(command.id(), command.id());
        Map<String, Object> timedOut = published(results, command.id()).get(0);
        assertThat((Map<String, Object>) timedOut.get("detail")).containsKey("error").doesNotContainKey("httpStatus");
    }

    @Test
    void aDeletedUserGetsNoWebhookNotEvenARetryAlreadyScheduled() {
        String app = Ids.newId(Ids.APP);
        String path = path();
        receiver.script(path, HttpReceiver.Reply.of(500));
        CallWebhook queued = command(app, receiver.url(path), null, null, Map.of());
        publish(queued);
        await().atMost(DEADLINE).until(() -> receiver.received(path).size() >= 1);

        Commands.send(Topics.EVENTS, Topics.userKey(app, "user_42"), Ids.newId(Ids.EVENT), EventTypes.USER_DELETED,
                queued.correlationId(), "{\"appId\":\"" + app + "\",\"externalUserId\":\"user_42\",\"deleted\":true}");
        await().atMost(DEADLINE).until(() -> pool.preparedQuery("SELECT 1 FROM webhook.deleted_users WHERE app_id = $1")
                .execute(Tuple.of(app)).await().atMost(Duration.ofSeconds(5)).size() == 1);
        CallWebhook later = command(app, receiver.url(path), null, null, Map.of());
        publish(later);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(later)).containsExactly("skipped"));
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(queued)).last().isEqualTo("skipped"));
        // an attempt already under way when the deletion arrived may still land; none starts afterwards
        int calls = receiver.received(path).size();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> receiver.received(path).size() == calls);
        assertThat(receiver.received(path)).extracting(r -> r.header("webhook-id")).containsOnly(queued.id());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logTypes(later)).containsExactly("webhook.skipped"));
    }

    @Test
    void aDeliveryWhoseAttemptWasLostWithAStoppedReplicaIsSentByTheSweep() throws Exception {
        // as a replica that stored the command, then died mid-attempt, leaves it: pending, its lease run out
        String path = path();
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(path), null, null, Map.of());
        pool.preparedQuery("INSERT INTO webhook.deliveries (id, app_id, external_user_id, correlation_id, command, status, "
                        + "attempts, due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 1, "
                        + "now() - interval '1 second', now(), now())")
                .execute(Tuple.from(List.of(command.id(), command.appId(), command.externalUserId(), command.correlationId(),
                        Commands.JSON.writeValueAsString(command))))
                .await().atMost(Duration.ofSeconds(5));

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("sent"));
        assertThat(receiver.received(path)).singleElement()
                .satisfies(r -> assertThat(r.header("webhook-id")).isEqualTo(command.id()));
        assertThat((Map<String, Object>) published(results, command.id()).get(0).get("detail")).containsEntry("attempt", 2);
    }

    @Test
    void afterARotationSendsBothSignaturesAndEachSecretVerifiesOne() throws Exception {
        String app = Ids.newId(Ids.APP);
        String old = secret(app);
        String fresh = given().header("Authorization", "Bearer test-admin-token")
                .post("/admin/v1/apps/" + app + "/webhook-secret/rotate").then().statusCode(200)
                .extract().path("data.secret");
        String path = path();
        CallWebhook command = command(app, receiver.url(path), null, null, Map.of());
        publish(command);

        await().atMost(DEADLINE).until(() -> receiver.received(path).size() == 1);
        HttpReceiver.Received request = receiver.received(path).get(0);
        assertThat(request.header("webhook-signature").split(" ")).hasSize(2).allMatch(sig -> sig.startsWith("v1,"));
        assertThat(HttpReceiver.hasValidSignature(fresh, request)).isTrue();
        assertThat(HttpReceiver.hasValidSignature(old, request)).isTrue();
        assertThat(HttpReceiver.hasValidSignature(WebhookSignerTestSecrets.unrelated(), request)).isFalse();
    }

    @Test
    void aBurstOfCommandsWithDuplicatesIsDeliveredOnceEach() {
        String app = Ids.newId(Ids.APP);
        String path = path();
        List<CallWebhook> commands = java.util.stream.IntStream.range(0, 60)
                .mapToObj(i -> command(app, receiver.url(path), null, Map.of("n", i), Map.of())).toList();
        for (CallWebhook command : commands) {
            publish(command);
            if (command.hashCode() % 3 == 0) {
                publish(command);
            }
        }

        await().atMost(DEADLINE).until(() -> receiver.received(path).size() >= commands.size());
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> receiver.received(path).size() == commands.size());
        assertThat(receiver.received(path)).extracting(r -> r.header("webhook-id"))
                .containsExactlyInAnyOrderElementsOf(commands.stream().map(CallWebhook::id).toList());
    }

    @Test
    void aDeactivatedUserWhoRegistersAgainGetsWebhooksAgain() {
        String app = Ids.newId(Ids.APP);
        String key = Topics.userKey(app, "user_42");
        String user = "{\"appId\":\"" + app + "\",\"externalUserId\":\"user_42\"}";
        Commands.send(Topics.EVENTS, key, Ids.newId(Ids.EVENT), EventTypes.USER_DELETED, Ids.newCorrelationId(), user);
        await().atMost(DEADLINE).until(() -> deletedRows(app) == 1);
        Commands.send(Topics.EVENTS, key, Ids.newId(Ids.EVENT), EventTypes.USER_REGISTERED, Ids.newCorrelationId(), user);
        await().atMost(DEADLINE).until(() -> deletedRows(app) == 0);

        String path = path();
        CallWebhook command = command(app, receiver.url(path), null, null, Map.of());
        publish(command);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(statuses(command)).containsExactly("sent"));
        assertThat(receiver.received(path)).hasSize(1);
    }

    int deletedRows(String app) {
        return pool.preparedQuery("SELECT 1 FROM webhook.deleted_users WHERE app_id = $1").execute(Tuple.of(app))
                .await().atMost(Duration.ofSeconds(5)).size();
    }

    static String path() {
        return "/hooks/" + UUID.randomUUID();
    }

    static List<Object> statuses(CallWebhook command) {
        return published(results, command.id()).stream().map(r -> r.get("status")).toList();
    }

    static List<Object> logTypes(CallWebhook command) {
        return published(log, command.correlationId()).stream().map(r -> r.get("type")).toList();
    }

    static String secret(String app) {
        return given().header("Authorization", "Bearer test-admin-token").get("/admin/v1/apps/" + app + "/webhook-secret")
                .then().statusCode(200).extract().path("data.secret");
    }

}
