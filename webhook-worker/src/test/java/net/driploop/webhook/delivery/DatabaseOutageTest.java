package net.driploop.webhook.delivery;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import net.driploop.infra.DatabaseOutage;
import net.driploop.infra.HttpReceiver;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.command.CallWebhook;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static net.driploop.webhook.delivery.Commands.command;
import static net.driploop.webhook.delivery.Commands.publish;
import static net.driploop.webhook.delivery.Commands.published;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL down for a while: a CallWebhook command that arrives meanwhile waits on Kafka and is delivered once the
 * database is back; an attempt under way when it goes away has its outcome recorded once it is back, and is not sent
 * again when its lease runs out. Either way the receiver is called once and nothing is dead-lettered.
 */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class DatabaseOutageTest {

    /** Longer than the retries of a failure other than an outage (about 3 s). */
    private static final Duration OUTAGE = Duration.ofSeconds(12);
    /** How long an attempt owns its delivery in %test: connect and response timeouts (2 s each) and 10 s. */
    private static final Duration LEASE = Duration.ofSeconds(14);
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Inject
    Pool pool;
    static HttpReceiver receiver;
    static HttpReceiver slow;
    static TopicReader results;
    static TopicReader dlq;

    @BeforeAll
    static void start() throws Exception {
        receiver = new HttpReceiver();
        slow = new HttpReceiver();
        slow.answerAfter(1500); // within the 2 s response timeout of %test
        results = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.DELIVERY_RESULTS);
        dlq = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.dlq(Topics.WEBHOOK_COMMANDS));
    }

    @AfterAll
    static void stop() {
        receiver.close();
        slow.close();
        results.close();
        dlq.close();
    }

    @Test
    void aCommandArrivingWhilePostgresqlIsDownWaitsAndIsSentOnceWhenItIsBack() throws Exception {
        String app = Ids.newId(Ids.APP);
        String path = WebhookDeliveryTest.path();
        CallWebhook command = command(app, receiver.url(path), null, null, Map.of());
        try (DatabaseOutage outage = DatabaseOutage.begin()) {
            publish(command);
            // for the whole outage the command can be neither stored nor sent, and it is not dead-lettered
            await().during(OUTAGE).atMost(OUTAGE.plusSeconds(5))
                    .until(() -> receiver.received(path).isEmpty() && deadLetters(command).isEmpty());
        }

        assertDeliveredOnce(command, receiver, path);
    }

    @Test
    void anAttemptUnderWayWhenPostgresqlGoesAwayIsRecordedWhenItIsBackAndNotSentAgain() throws Exception {
        String app = Ids.newId(Ids.APP);
        String path = WebhookDeliveryTest.path();
        CallWebhook command = command(app, slow.url(path), null, null, Map.of());
        publish(command);
        await().atMost(DEADLINE).until(() -> slow.received(path).size() == 1);
        try (DatabaseOutage outage = DatabaseOutage.begin()) {
            // the receiver answers 200 meanwhile; the outcome cannot be recorded until the database is back, and by
            // then the attempt's lease has run out: the sweep finds the delivery due
            Duration longerThanTheLease = LEASE.plusSeconds(2);
            await().during(longerThanTheLease).atMost(longerThanTheLease.plusSeconds(5))
                    .until(() -> slow.received(path).size() == 1 && deadLetters(command).isEmpty());
        }

        assertDeliveredOnce(command, slow, path);
    }

    private void assertDeliveredOnce(CallWebhook command, HttpReceiver to, String path) {
        await().atMost(DEADLINE).ignoreExceptions().until(() -> ledger(command),
                row -> row != null && Deliveries.DELIVERED.equals(row.getString("status")));
        // one call: a second attempt, started before the outcome was recorded, would have reached the receiver by now
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(8)).untilAsserted(() -> assertThat(
                to.received(path)).extracting(r -> r.header("webhook-id")).containsExactly(command.id()));
        HttpReceiver.Received request = to.received(path).get(0);
        assertThat(request.header("webhook-id")).isEqualTo(command.id());
        assertThat(HttpReceiver.hasValidSignature(WebhookDeliveryTest.secret(command.appId()), request)).isTrue();
        assertThat(ledger(command).getInteger("attempts")).isEqualTo(1);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(results, command.id()))
                .extracting(r -> r.get("status")).containsExactly("sent"));
        assertThat(deadLetters(command)).isEmpty();
        // and the command channel has not failed
        given().get("/q/health/live").then().statusCode(200);
    }

    private Row ledger(CallWebhook command) {
        RowSet<Row> rows = pool.preparedQuery("SELECT status, attempts FROM webhook.deliveries WHERE id = $1")
                .execute(Tuple.of(command.id())).await().atMost(Duration.ofSeconds(5));
        return rows.size() == 0 ? null : rows.iterator().next();
    }

    private static List<TopicReader.Message> deadLetters(CallWebhook command) {
        return dlq.poll(m -> command.id().equals(m.header("ce_id")));
    }
}
