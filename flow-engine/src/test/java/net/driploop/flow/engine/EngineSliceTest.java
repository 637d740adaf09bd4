package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.DeadLetterHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.event.UserSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static net.driploop.flow.engine.EngineFixture.commandsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

/** An event on driploop.events.v1 starts a flow whose steps end as commands on the command topics. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EngineSliceTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

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
    void registrationStartsFlowThatPublishesSendEmailWithStepIdKeyAndCorrelationIdAndLogsEachDecision() {
        String flowId = fixture.createFlow(app, """
                {'name': 'Welcome', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'steps': [{'id': 'welcome', 'type': 'email', 'subject': 'Hi {user.metadata.name}',
                            'text': 'Welcome, {user.metadata.name}', 'maxCount': 1}]}""");
        UserSnapshot ada = EngineFixture.user("ada", "ada@example.com", Map.of("name", "Ada"));
        String correlationId = Ids.newCorrelationId();

        fixture.registered(correlationId, app, ada);

        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "ada"), list -> !list.isEmpty());
        assertThat(sent).hasSize(1);
        TopicReader.Message message = sent.get(0);
        JsonNode command = EngineFixture.json(message.value());
        String executionId = command.path("executionId").asText();
        assertThat(executionId).startsWith("exe_");
        assertThat(message.key()).isEqualTo(app + ":ada");
        assertThat(message.header(CloudEventHeaders.ID)).isEqualTo(executionId + ":welcome");
        assertThat(message.header(CloudEventHeaders.TYPE)).isEqualTo(CommandTypes.SEND_EMAIL);
        assertThat(message.header(CloudEventHeaders.CORRELATION_ID)).isEqualTo(correlationId);
        assertThat(command.path("id").asText()).isEqualTo(executionId + ":welcome");
        assertThat(command.path("flowId").asText()).isEqualTo(flowId);
        assertThat(command.path("stepId").asText()).isEqualTo("welcome");
        assertThat(command.path("to").asText()).isEqualTo("ada@example.com");
        assertThat(command.path("subject").asText()).isEqualTo("Hi {user.metadata.name}");
        assertThat(command.path("data").path("user").path("metadata").path("name").asText()).isEqualTo("Ada");
        assertThat(command.path("data").path("event").path("name").asText()).isEqualTo("user.registered");
        assertThat(command.path("maxCount").asInt()).isEqualTo(1);
        assertThat(command.path("correlationId").asText()).isEqualTo(correlationId);
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "ada"),
                list -> list.size() == 1 && list.get(0).get("status").equals("completed"));
        try (TopicReader log = EngineFixture.reader(Topics.AUTOMATION_LOG)) {
            List<JsonNode> trace = await().atMost(DEADLINE).until(() -> log.poll(m -> correlationId.equals(m.key()))
                    .stream().map(m -> EngineFixture.json(m.value())).toList(), list -> list.size() >= 5);
            assertThat(trace).extracting(entry -> entry.path("type").asText())
                    .containsExactly("flow.triggered", "execution.started", "step.completed", "execution.completed",
                            "command.published");
            JsonNode published = trace.get(4);
            assertThat(published.path("detail").path("topic").asText()).isEqualTo(Topics.EMAIL_COMMANDS);
            assertThat(published.path("detail").path("partition").asInt()).isEqualTo(message.partition());
            assertThat(published.path("detail").path("offset").asLong()).isEqualTo(message.offset());
            assertThat(published.path("stepId").asText()).isEqualTo("welcome");
            assertThat(published.path("executionId").asText()).isEqualTo(executionId);
            assertThat(published.path("appId").asText()).isEqualTo(app);
            assertThat(trace.subList(0, 4)).allSatisfy(entry -> {
                assertThat(entry.path("service").asText()).isEqualTo("flow-engine");
                assertThat(entry.path("executionId").asText()).isEqualTo(executionId);
                assertThat(entry.path("flowId").asText()).isEqualTo(flowId);
            });
            assertThat(trace.get(2).path("detail").path("commandId").asText()).isEqualTo(executionId + ":welcome");
            assertThat(trace.get(2).path("detail").path("topic").asText()).isEqualTo(Topics.EMAIL_COMMANDS);
        }
    }

    @Test
    void waitStepDelaysTheEmailUntilItsDurationHasPassed() {
        fixture.createFlow(app, """
                {'name': 'Nudge', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'pause', 'type': 'wait', 'duration': 'PT2S'},
                           {'id': 'nudge', 'type': 'email', 'subject': 'Still there?', 'text': 'Hi'}]}""");
        Instant published = Instant.now();
        fixture.registered(Ids.newCorrelationId(), app, EngineFixture.user("bob", "bob@example.com", Map.of()));

        await().atMost(DEADLINE).until(() -> fixture.executions(app, "bob"),
                list -> list.size() == 1 && list.get(0).get("status").equals("waiting"));
        assertThat(commandsFor(emails, app, "bob")).isEmpty();

        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "bob"), list -> !list.isEmpty());
        Instant requestedAt = Instant.parse(EngineFixture.json(sent.get(0).value()).path("requestedAt").asText());
        assertThat(requestedAt).isAfterOrEqualTo(published.plusSeconds(2));
        // lateness: the sweep runs every 200 ms, and reports how late it claims
        assertThat(requestedAt).isBefore(published.plusSeconds(4));
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("driploop_timers_lateness_seconds_count"));
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "bob"),
                list -> list.get(0).get("status").equals("completed"));
    }

    @Test
    void sameEventDeliveredTwiceStartsOneExecution() {
        fixture.createFlow(app, """
                {'name': 'Always', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'steps': [{'id': 'hello', 'type': 'email', 'subject': 'Hello', 'text': 'Hi'}]}""");
        UserSnapshot cy = EngineFixture.user("cy", "cy@example.com", Map.of());
        String correlationId = Ids.newCorrelationId();
        String ceId = Ids.newId(Ids.EVENT);
        net.driploop.model.event.UserRegistered event =
                new net.driploop.model.event.UserRegistered(app, "cy", cy, false, Instant.now());

        fixture.publish(ceId, "user.registered", correlationId, app, "cy", event);
        fixture.publish(ceId, "user.registered", correlationId, app, "cy", event);
        // a later record of the same user (same partition) shows that both copies were consumed
        String after = fixture.metadataUpdated(correlationId, app, cy, Map.of());

        await().atMost(DEADLINE).until(() -> fixture.processed(after));
        assertThat(fixture.executions(app, "cy")).hasSize(1);
        await().atMost(DEADLINE).until(() -> commandsFor(emails, app, "cy"), list -> !list.isEmpty());
        assertThat(commandsFor(emails, app, "cy")).hasSize(1);
    }

    @Test
    void malformedRecordGoesToTheDeadLetterTopicAndTheUsersLaterRecordsStillRun() {
        fixture.createFlow(app, """
                {'name': 'Welcome', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'steps': [{'id': 'hello', 'type': 'email', 'subject': 'Hello', 'text': 'Hi'}]}""");
        String poison = Ids.newId(Ids.EVENT);
        fixture.publish(poison, "user.registered", Ids.newCorrelationId(), app, "zed", "not an event");
        fixture.registered(Ids.newCorrelationId(), app, EngineFixture.user("zed", "zed@example.com", Map.of()));

        await().atMost(DEADLINE).until(() -> commandsFor(emails, app, "zed"), list -> list.size() == 1);
        try (TopicReader deadLetters = EngineFixture.reader(Topics.dlq(Topics.EVENTS))) {
            List<TopicReader.Message> dead = await().atMost(DEADLINE).until(
                    () -> deadLetters.poll(m -> poison.equals(m.header(CloudEventHeaders.ID))), list -> list.size() == 1);
            // as it came, with where it was read from and why
            assertThat(dead.get(0).value()).isEqualTo("\"not an event\"");
            assertThat(dead.get(0).key()).isEqualTo(app + ":zed");
            assertThat(dead.get(0).header(DeadLetterHeaders.TOPIC)).isEqualTo(Topics.EVENTS);
            assertThat(dead.get(0).header(DeadLetterHeaders.OFFSET)).matches("\\d+");
            assertThat(dead.get(0).header(DeadLetterHeaders.REASON)).contains("UserRegistered");
        }
        assertThat(fixture.processed(poison)).isFalse();
    }
}
