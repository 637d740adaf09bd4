package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.event.UserSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static net.driploop.flow.engine.EngineFixture.commandsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Each step type over real Kafka and PostgreSQL: wait_until, wait_for (event and timeout), branch, webhook, skipped email. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EngineStepsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String ABANDONED_CART = """
            {'name': 'Cart', 'trigger': {'type': 'activity.event', 'event': 'cart_created'}, 'reentry': 'always',
             'steps': [{'id': 'wait', 'type': 'wait_for', 'event': 'checkout_completed', 'timeout': '%s',
                        'when': {'field': 'event.metadata.total', 'op': 'gte', 'value': 10},
                        'then': 'thanks', 'else': 'reminder'},
                       {'id': 'reminder', 'type': 'email', 'subject': 'Forgot something?', 'text': 'Hi', 'next': 'end'},
                       {'id': 'thanks', 'type': 'email', 'subject': 'Thanks', 'text': 'Hi'}]}""";

    @Inject
    Pool pool;

    private EngineFixture fixture;
    private TopicReader emails;
    private final String app = EngineFixture.newApp();

    @BeforeEach
    void setUp() {
        fixture = new EngineFixture(pool);
        emails = EngineFixture.reader(Topics.EMAIL_COMMANDS);
    }

    @AfterEach
    void tearDown() {
        emails.close();
        fixture.close();
    }

    @Test
    void waitUntilATimeAlreadyPastContinuesAtOnce() {
        fixture.createFlow(app, """
                {'name': 'Renewal', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'before', 'type': 'wait_until', 'at': 'user.metadata.renewsAt', 'offset': '-P7D'},
                           {'id': 'mail', 'type': 'email', 'subject': 'Renews soon', 'text': 'Hi'}]}""");
        String renewsAt = Timestamps.format(Instant.now().plus(1, ChronoUnit.DAYS));
        fixture.registered(Ids.newCorrelationId(), app,
                EngineFixture.user("hal", "hal@example.com", Map.of("renewsAt", renewsAt)));

        await().atMost(DEADLINE).until(() -> commandsFor(emails, app, "hal"), list -> list.size() == 1);
        assertThat(fixture.count("SELECT count(*) FROM flow.timers t JOIN flow.executions e ON e.id = t.execution_id "
                + "WHERE e.app_id = $1", app)).isZero();
    }

    @Test
    void waitUntilAFutureTimeWaitsForIt() {
        fixture.createFlow(app, """
                {'name': 'Renewal', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'before', 'type': 'wait_until', 'at': 'user.metadata.renewsAt', 'offset': '-P7D'},
                           {'id': 'mail', 'type': 'email', 'subject': 'Renews soon', 'text': 'Hi'}]}""");
        Instant due = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.MILLIS);
        fixture.registered(Ids.newCorrelationId(), app, EngineFixture.user("ivy", "ivy@example.com",
                Map.of("renewsAt", Timestamps.format(due.plus(7, ChronoUnit.DAYS)))));

        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "ivy"), list -> !list.isEmpty());
        Instant requestedAt = Instant.parse(EngineFixture.json(sent.get(0).value()).path("requestedAt").asText());
        assertThat(requestedAt).isAfterOrEqualTo(due).isBefore(due.plusSeconds(2));
    }

    @Test
    void waitUntilAMissingDateFailsTheExecutionWithoutSending() {
        fixture.createFlow(app, """
                {'name': 'Renewal', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'steps': [{'id': 'before', 'type': 'wait_until', 'at': 'purchase.purchaseEndDate', 'offset': '-P7D'},
                           {'id': 'mail', 'type': 'email', 'subject': 'Renews soon', 'text': 'Hi'}]}""");
        fixture.registered(Ids.newCorrelationId(), app, EngineFixture.user("una", "una@example.com", Map.of()));

        await().atMost(DEADLINE).until(() -> fixture.executions(app, "una"),
                list -> list.size() == 1 && list.get(0).get("status").equals("failed"));
        assertThat(fixture.executions(app, "una").get(0).get("endReason")).isEqualTo("wait_until_without_date");
        assertThat(commandsFor(emails, app, "una")).isEmpty();
    }

    @Test
    void awaitedEventArrivingInTimeContinuesAtThenAndOnlyWhenItsConditionHolds() {
        fixture.createFlow(app, ABANDONED_CART.formatted("PT30S"));
        UserSnapshot jo = EngineFixture.user("jo", "jo@example.com", Map.of());
        fixture.activity(Ids.newCorrelationId(), app, jo, "cart_created", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "jo"),
                list -> list.size() == 1 && list.get(0).get("status").equals("waiting"));

        String small = fixture.activity(Ids.newCorrelationId(), app, jo, "checkout_completed", Map.of("total", 5));
        await().atMost(DEADLINE).until(() -> fixture.processed(small));
        assertThat(fixture.executions(app, "jo").get(0).get("status")).isEqualTo("waiting");

        fixture.activity(Ids.newCorrelationId(), app, jo, "checkout_completed", Map.of("total", 25));
        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "jo"), list -> !list.isEmpty());
        assertThat(sent).singleElement()
                .satisfies(m -> assertThat(m.header(CloudEventHeaders.ID)).endsWith(":thanks"));
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "jo"),
                list -> list.get(0).get("status").equals("completed"));
        assertThat(fixture.count("SELECT count(*) FROM flow.timers WHERE execution_id = $1",
                fixture.executions(app, "jo").get(0).get("id"))).isZero();
        assertThat(fixture.count("SELECT count(*) FROM flow.awaited_events WHERE app_id = $1", app)).isZero();
    }

    @Test
    void awaitedEventNotArrivingContinuesAtElseWhenTheTimeoutFires() {
        fixture.createFlow(app, ABANDONED_CART.formatted("PT2S"));
        fixture.activity(Ids.newCorrelationId(), app, EngineFixture.user("kim", "kim@example.com", Map.of()),
                "cart_created", Map.of());

        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "kim"), list -> !list.isEmpty());
        assertThat(sent).singleElement()
                .satisfies(m -> assertThat(m.header(CloudEventHeaders.ID)).endsWith(":reminder"));
        assertThat(fixture.count("SELECT count(*) FROM flow.awaited_events WHERE app_id = $1", app)).isZero();
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "kim"),
                list -> list.get(0).get("status").equals("completed"));
    }

    @Test
    void branchOnLatestStateLeadsToAWebhookCommand() {
        fixture.createFlow(app, """
                {'name': 'Pro hook', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'steps': [{'id': 'check', 'type': 'branch',
                            'when': {'field': 'user.metadata.plan', 'op': 'eq', 'value': 'pro'},
                            'then': 'hook', 'else': 'end'},
                           {'id': 'hook', 'type': 'webhook', 'url': 'https://example.com/hooks/{user.metadata.plan}',
                            'headers': {'X-Plan': '{user.metadata.plan}'}}]}""");
        String correlationId = Ids.newCorrelationId();
        try (TopicReader webhooks = EngineFixture.reader(Topics.WEBHOOK_COMMANDS)) {
            fixture.registered(correlationId, app, EngineFixture.user("lea", "lea@example.com", Map.of("plan", "pro")));
            fixture.registered(Ids.newCorrelationId(), app,
                    EngineFixture.user("max", "max@example.com", Map.of("plan", "free")));

            List<TopicReader.Message> sent = await().atMost(DEADLINE)
                    .until(() -> commandsFor(webhooks, app, "lea"), list -> !list.isEmpty());
            TopicReader.Message message = sent.get(0);
            JsonNode command = EngineFixture.json(message.value());
            assertThat(message.header(CloudEventHeaders.TYPE)).isEqualTo(CommandTypes.CALL_WEBHOOK);
            assertThat(message.header(CloudEventHeaders.ID)).isEqualTo(command.path("executionId").asText() + ":hook");
            assertThat(message.header(CloudEventHeaders.CORRELATION_ID)).isEqualTo(correlationId);
            assertThat(command.path("method").asText()).isEqualTo("POST");
            assertThat(command.path("url").asText()).isEqualTo("https://example.com/hooks/{user.metadata.plan}");
            assertThat(command.path("data").path("user").path("metadata").path("plan").asText()).isEqualTo("pro");

            await().atMost(DEADLINE).until(() -> fixture.executions(app, "max"),
                    list -> list.size() == 1 && list.get(0).get("status").equals("completed"));
            assertThat(commandsFor(webhooks, app, "max")).isEmpty();
        }
    }

    @Test
    void emailToAUserWithoutAddressIsSkippedAndARenderedRecipientStillGetsTheNext() {
        fixture.createFlow(app, """
                {'name': 'No address', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Hi', 'text': 'Hi'},
                           {'id': 'ops', 'type': 'email', 'to': 'ops+{user.externalUserId}@example.com', 'subject': 'New user', 'text': '{user.externalUserId}'}]}""");
        fixture.registered(Ids.newCorrelationId(), app, EngineFixture.user("ned", null, Map.of()));

        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "ned"), list -> !list.isEmpty());
        assertThat(sent).singleElement().satisfies(m -> {
            assertThat(m.header(CloudEventHeaders.ID)).endsWith(":ops");
            assertThat(EngineFixture.json(m.value()).path("to").asText()).isEqualTo("ops+ned@example.com");
        });
        String executionId = fixture.executions(app, "ned").get(0).get("id");
        assertThat(fixture.count("SELECT count(*) FROM flow.execution_steps WHERE execution_id = $1 AND step_id = 'mail' "
                + "AND status = 'skipped'", executionId)).isEqualTo(1);
    }
}
