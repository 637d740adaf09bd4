package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.event.UserSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static net.driploop.flow.engine.EngineFixture.commandsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Executions end early: a deleted user's are cancelled at once, and exitWhen ends them when the goal is reached. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EngineLifecycleTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String WAIT_THEN_MAIL = """
            {'name': '%s', 'trigger': {'type': 'user.registered'}, %s
             'steps': [{'id': 'pause', 'type': 'wait', 'duration': '%s'},
                       {'id': 'mail', 'type': 'email', 'subject': 'Hello', 'text': 'Hi'}]}""";

    @Inject
    Pool pool;

    private EngineFixture fixture;
    private TopicReader emails;
    private TopicReader log;
    private final String app = EngineFixture.newApp();

    @BeforeEach
    void setUp() {
        fixture = new EngineFixture(pool);
        emails = EngineFixture.reader(Topics.EMAIL_COMMANDS);
        log = EngineFixture.reader(Topics.AUTOMATION_LOG);
    }

    @AfterEach
    void tearDown() {
        emails.close();
        log.close();
        fixture.close();
    }

    @Test
    void deletingTheUserCancelsEveryLiveExecutionAndTheirTimersNeverFire() {
        fixture.createFlow(app, WAIT_THEN_MAIL.formatted("One", "", "PT3S"));
        fixture.createFlow(app, WAIT_THEN_MAIL.formatted("Two", "'reentry': 'always',", "PT3S"));
        fixture.registered(Ids.newCorrelationId(), app, EngineFixture.user("dan", "dan@example.com", Map.of()));
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "dan"),
                list -> list.size() == 2 && list.stream().allMatch(e -> e.get("status").equals("waiting")));

        String deletion = Ids.newCorrelationId();
        fixture.deleted(deletion, app, "dan");

        await().atMost(DEADLINE).until(() -> fixture.executions(app, "dan"),
                list -> list.stream().allMatch(e -> e.get("status").equals("cancelled")));
        assertThat(fixture.executions(app, "dan")).allMatch(e -> e.get("endReason").equals("user_deleted"));
        assertThat(fixture.count("""
                SELECT count(*) FROM flow.timers t JOIN flow.executions e ON e.id = t.execution_id
                WHERE e.app_id = $1 AND e.external_user_id = $2""", app, "dan")).isZero();
        assertThat(fixture.count("SELECT count(*) FROM flow.users WHERE app_id = $1 AND external_user_id = $2",
                app, "dan")).isZero();
        await().atMost(DEADLINE).until(() -> entries(deletion, "execution.cancelled"), list -> list.size() == 2);
        // past the waits' due time, still no email
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5))
                .until(() -> commandsFor(emails, app, "dan").isEmpty());
        assertThat(fixture.executions(app, "dan")).allMatch(e -> e.get("status").equals("cancelled"));
    }

    @Test
    void metadataChangeMatchingExitWhenEndsTheWaitingExecution() {
        fixture.createFlow(app, WAIT_THEN_MAIL.formatted("Goal",
                "'exitWhen': {'field': 'user.metadata.subscribed', 'op': 'eq', 'value': false},", "PT30S"));
        UserSnapshot eve = EngineFixture.user("eve", "eve@example.com", Map.of("subscribed", true));
        fixture.registered(Ids.newCorrelationId(), app, eve);
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "eve"),
                list -> list.size() == 1 && list.get(0).get("status").equals("waiting"));

        // activity with the same snapshot changes nothing exitWhen sees: still waiting
        String active = fixture.activity(Ids.newCorrelationId(), app, eve, "login", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.processed(active));
        assertThat(fixture.executions(app, "eve").get(0).get("status")).isEqualTo("waiting");

        String unsubscribe = Ids.newCorrelationId();
        fixture.metadataUpdated(unsubscribe, app,
                EngineFixture.user("eve", "eve@example.com", Map.of("subscribed", false)), Map.of("subscribed", false));

        await().atMost(DEADLINE).until(() -> fixture.executions(app, "eve"),
                list -> list.get(0).get("status").equals("exited"));
        assertThat(fixture.executions(app, "eve").get(0).get("endReason")).isEqualTo("exit_when");
        assertThat(fixture.count("SELECT count(*) FROM flow.timers WHERE execution_id = $1",
                fixture.executions(app, "eve").get(0).get("id"))).isZero();
        await().atMost(DEADLINE).until(() -> entries(unsubscribe, "execution.exited"), list -> list.size() == 1);
    }

    @Test
    void exitWhenHoldingBeforeAStepEndsTheExecutionWithoutRunningIt() {
        fixture.createFlow(app, """
                {'name': 'Upsell', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                 'exitWhen': {'field': 'user.metadata.plan', 'op': 'eq', 'value': 'pro'},
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Go pro', 'text': 'Hi'}]}""");
        String correlationId = Ids.newCorrelationId();
        fixture.registered(correlationId, app, EngineFixture.user("fay", "fay@example.com", Map.of("plan", "pro")));
        fixture.registered(Ids.newCorrelationId(), app, EngineFixture.user("gus", "gus@example.com", Map.of("plan", "free")));

        // the two users sit on different partitions, so their events are processed in either order
        await().atMost(DEADLINE).until(() -> commandsFor(emails, app, "gus"), list -> list.size() == 1);
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "fay"),
                list -> list.size() == 1 && "exited".equals(list.get(0).get("status")));
        assertThat(commandsFor(emails, app, "fay")).isEmpty();
        await().atMost(DEADLINE).until(() -> entries(correlationId, "execution.exited"), list -> list.size() == 1);
    }

    private List<JsonNode> entries(String correlationId, String type) {
        return log.poll(m -> correlationId.equals(m.key())).stream()
                .map(m -> EngineFixture.json(m.value()))
                .filter(entry -> type.equals(entry.path("type").asText()))
                .toList();
    }
}
