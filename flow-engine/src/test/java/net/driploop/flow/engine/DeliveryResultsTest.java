package net.driploop.flow.engine;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.DeadLetterHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Json;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.DeliveryResult;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker's DeliveryResult shows on the step that sent the command, once, whatever the redeliveries; the latest
 * result of a step wins; a record that is no result goes to the dead-letter topic.
 */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class DeliveryResultsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @Inject
    Pool pool;

    private EngineFixture fixture;
    private KafkaProducer<String, String> producer;
    private final String app = EngineFixture.newApp();

    @BeforeEach
    void setUp() {
        fixture = new EngineFixture(pool);
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", EngineFixture.bootstrapServers()),
                new StringSerializer(), new StringSerializer());
    }

    @AfterEach
    void tearDown() {
        producer.close();
        fixture.close();
    }

    @Test
    void deliveryResultIsRecordedOnTheStepThatSentTheCommandOnce() throws Exception {
        String executionId = emailSentTo("rae");
        String commandId = CommandTypes.commandId(executionId, "mail");

        String ceId = Ids.newId(Ids.EVENT);
        DeliveryResult sent = new DeliveryResult(commandId, DeliveryResult.EMAIL, DeliveryResult.SENT, app, "rae",
                null, executionId, "mail", Map.of("smtpReply", "250 OK"), Timestamps.now());
        publish(ceId, sent);
        publish(ceId, sent);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(deliveryStatus("rae")).isEqualTo("sent"));
        assertThat(fixture.count("SELECT count(*) FROM flow.processed_records WHERE consumer = $1 AND ce_id = $2",
                DeliveryResultConsumer.CONSUMER, ceId)).isEqualTo(1);
        // a result naming another app's execution changes nothing
        String foreign = Ids.newId(Ids.EVENT);
        publish(foreign, new DeliveryResult(commandId, DeliveryResult.EMAIL, DeliveryResult.FAILED,
                EngineFixture.newApp(), "rae", null, executionId, "mail", Map.of(), Timestamps.now()));
        await().atMost(DEADLINE).until(() -> fixture.count(
                "SELECT count(*) FROM flow.processed_records WHERE consumer = $1 AND ce_id = $2",
                DeliveryResultConsumer.CONSUMER, foreign) == 1);
        assertThat(deliveryStatus("rae")).isEqualTo("sent");
    }

    @Test
    void theLatestResultOfAStepWinsAndAnUnreadableOneGoesToTheDeadLetterTopic() throws Exception {
        String executionId = emailSentTo("sol");
        String commandId = CommandTypes.commandId(executionId, "mail");

        // a retry that failed, then the one that went out, then a record that is no result at all
        publish(Ids.newId(Ids.EVENT), new DeliveryResult(commandId, DeliveryResult.EMAIL, DeliveryResult.FAILED, app,
                "sol", null, executionId, "mail", Map.of("smtpReply", "451 try later"), Timestamps.now()));
        publish(Ids.newId(Ids.EVENT), new DeliveryResult(commandId, DeliveryResult.EMAIL, DeliveryResult.SENT, app,
                "sol", null, executionId, "mail", Map.of("smtpReply", "250 OK"), Timestamps.now()));
        String poison = Ids.newId(Ids.EVENT);
        send(poison, Topics.userKey(app, "sol"), "{\"status\": [");

        try (TopicReader deadLetters = EngineFixture.reader(Topics.dlq(Topics.DELIVERY_RESULTS))) {
            List<TopicReader.Message> dead = await().atMost(DEADLINE).until(
                    () -> deadLetters.poll(m -> poison.equals(m.header(CloudEventHeaders.ID))), list -> list.size() == 1);
            assertThat(dead.get(0).value()).isEqualTo("{\"status\": [");
            assertThat(dead.get(0).header(DeadLetterHeaders.TOPIC)).isEqualTo(Topics.DELIVERY_RESULTS);
            assertThat(dead.get(0).header(DeadLetterHeaders.REASON)).startsWith("not a DeliveryResult");
        }
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(deliveryStatus("sol")).isEqualTo("sent"));
    }

    /** A welcome flow whose email step ran for a newly registered user: the execution's id. */
    private String emailSentTo(String externalUserId) {
        fixture.createFlow(app, """
                {'name': 'Welcome', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Hi', 'text': 'Welcome'}]}""");
        fixture.registered(Ids.newCorrelationId(), app,
                EngineFixture.user(externalUserId, externalUserId + "@example.com", Map.of()));
        return await().atMost(DEADLINE).until(() -> fixture.executions(app, externalUserId),
                list -> list.size() == 1 && "completed".equals(list.get(0).get("status"))).get(0).get("id");
    }

    /** The delivery status the executions API shows on the user's email step. */
    private String deliveryStatus(String externalUserId) {
        return given().header("Authorization", "Bearer test-admin-token").queryParam("externalUserId", externalUserId)
                .get("/admin/v1/apps/{appId}/executions", app)
                .then().statusCode(200).extract().path("data[0].steps[0].detail.delivery.status");
    }

    private void publish(String ceId, DeliveryResult result) throws Exception {
        send(ceId, Topics.userKey(result.appId(), result.externalUserId()), Json.newMapper().writeValueAsString(result));
    }

    private void send(String ceId, String key, String value) throws Exception {
        ProducerRecord<String, String> record = new ProducerRecord<>(Topics.DELIVERY_RESULTS, null, key, value);
        record.headers().add(CloudEventHeaders.ID, ceId.getBytes(StandardCharsets.UTF_8));
        record.headers().add(CloudEventHeaders.TYPE, CommandTypes.DELIVERY_RESULT.getBytes(StandardCharsets.UTF_8));
        producer.send(record).get();
    }
}
