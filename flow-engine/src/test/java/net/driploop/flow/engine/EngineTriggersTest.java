package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.flow.definition.FlowDefinitionParser;
import net.driploop.flow.flows.FlowRepository;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
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

/** Which events start which flows: trigger types, exact activity names, trigger conditions. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EngineTriggersTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @Inject
    Pool pool;

    @Inject
    FlowRepository flows;

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
    void purchaseStartsRenewalReminderSevenDaysBeforeItsEndWithThePurchaseInTheData() {
        fixture.createFlow(app, """
                {'name': 'Renewal', 'trigger': {'type': 'purchase.recorded'},
                 'steps': [{'id': 'wait', 'type': 'wait_until', 'at': 'purchase.purchaseEndDate', 'offset': '-P7D'},
                           {'id': 'mail', 'type': 'email', 'subject': 'Your {purchase.productId} renews soon', 'text': 'Hi'}]}""");
        Instant due = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.MILLIS);
        UserSnapshot vic = EngineFixture.user("vic", "vic@example.com", Map.of());

        fixture.purchase(Ids.newCorrelationId(), app, vic, "pro_yearly", due.plus(7, ChronoUnit.DAYS));

        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "vic"), list -> !list.isEmpty());
        JsonNode command = EngineFixture.json(sent.get(0).value());
        assertThat(Instant.parse(command.path("requestedAt").asText())).isAfterOrEqualTo(due);
        assertThat(command.path("data").path("purchase").path("productId").asText()).isEqualTo("pro_yearly");
        assertThat(command.path("data").path("event").path("name").asText()).isEqualTo("purchase.recorded");
        assertThat(fixture.count("SELECT count(*) FROM flow.users WHERE app_id = $1 AND external_user_id = 'vic' "
                + "AND last_purchase->>'productId' = 'pro_yearly'", app)).isEqualTo(1);
    }

    @Test
    void activityEventTriggerNeedsTheExactNameAndItsCondition() {
        fixture.createFlow(app, """
                {'name': 'Big order', 'trigger': {'type': 'activity.event', 'event': 'checkout_completed',
                                                  'when': {'field': 'event.metadata.total', 'op': 'gte', 'value': 100}},
                 'reentry': 'always',
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Thanks for {event.metadata.total}', 'text': 'Hi'}]}""");
        UserSnapshot wes = EngineFixture.user("wes", "wes@example.com", Map.of());

        fixture.activity(Ids.newCorrelationId(), app, wes, "checkout_completed", Map.of("total", 50));
        fixture.activity(Ids.newCorrelationId(), app, wes, "Checkout_Completed", Map.of("total", 500));
        fixture.activity(Ids.newCorrelationId(), app, wes, "checkout_completed_v2", Map.of("total", 500));
        String big = fixture.activity(Ids.newCorrelationId(), app, wes, "checkout_completed", Map.of("total", 150));

        await().atMost(DEADLINE).until(() -> fixture.processed(big));
        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "wes"), list -> !list.isEmpty());
        assertThat(fixture.executions(app, "wes")).hasSize(1);
        assertThat(EngineFixture.json(sent.get(0).value()).path("data").path("event").path("metadata").path("total")
                .asInt()).isEqualTo(150);
    }

    @Test
    void firstActivityAndMetadataUpdatesStartTheirFlowsOnly() {
        fixture.createFlow(app, """
                {'name': 'First', 'trigger': {'type': 'user.first_activity'},
                 'steps': [{'id': 'first', 'type': 'email', 'subject': 'First', 'text': 'Hi'}]}""");
        fixture.createFlow(app, """
                {'name': 'Plan', 'trigger': {'type': 'user.metadata_updated',
                                             'when': {'field': 'event.metadata.plan', 'op': 'exists'}},
                 'steps': [{'id': 'plan', 'type': 'email', 'subject': 'Plan {user.metadata.plan}', 'text': 'Hi'}]}""");
        UserSnapshot xia = EngineFixture.user("xia", "xia@example.com", Map.of());
        fixture.registered(Ids.newCorrelationId(), app, xia);
        fixture.firstActivity(Ids.newCorrelationId(), app, xia, "login");
        fixture.metadataUpdated(Ids.newCorrelationId(), app, xia, Map.of("color", "blue"));
        String plan = fixture.metadataUpdated(Ids.newCorrelationId(), app,
                EngineFixture.user("xia", "xia@example.com", Map.of("plan", "pro")), Map.of("plan", "pro"));

        await().atMost(DEADLINE).until(() -> fixture.processed(plan));
        List<TopicReader.Message> sent = await().atMost(DEADLINE)
                .until(() -> commandsFor(emails, app, "xia"), list -> list.size() >= 2);
        assertThat(sent).extracting(m -> EngineFixture.json(m.value()).path("stepId").asText())
                .containsExactlyInAnyOrder("first", "plan");
        assertThat(fixture.executions(app, "xia")).hasSize(2);
    }

    @Test
    void everyChangeToTheAppsFlowsReachesTheNextEvent() {
        String flowId = fixture.createFlow(app, """
                {'name': 'Ping', 'trigger': {'type': 'activity.event', 'event': 'ping'}, 'reentry': 'always',
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Ping', 'text': 'Hi'}]}""");
        UserSnapshot yul = EngineFixture.user("yul", "yul@example.com", Map.of());
        fixture.activity(Ids.newCorrelationId(), app, yul, "ping", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "yul"), list -> list.size() == 1);

        // deactivated: the next ping starts nothing
        flows.setStatus(app, flowId, FlowRepository.INACTIVE, Instant.now()).await().atMost(DEADLINE);
        String ignored = fixture.activity(Ids.newCorrelationId(), app, yul, "ping", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.processed(ignored));
        assertThat(fixture.executions(app, "yul")).hasSize(1);

        // a new version listening to another event, active again: only that event starts it, at version 2
        JsonNode pong = EngineFixture.parse("""
                {'name': 'Pong', 'trigger': {'type': 'activity.event', 'event': 'pong'}, 'reentry': 'always',
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Pong', 'text': 'Hi'}]}""");
        flows.newVersion(app, flowId, new FlowDefinitionParser().parse(pong), pong, Instant.now()).await().atMost(DEADLINE);
        flows.setStatus(app, flowId, FlowRepository.ACTIVE, Instant.now()).await().atMost(DEADLINE);
        String ping = fixture.activity(Ids.newCorrelationId(), app, yul, "ping", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.processed(ping));
        assertThat(fixture.executions(app, "yul")).hasSize(1);
        fixture.activity(Ids.newCorrelationId(), app, yul, "pong", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "yul"), list -> list.size() == 2);
        assertThat(fixture.count("SELECT count(*) FROM flow.executions WHERE app_id = $1 AND external_user_id = 'yul' "
                + "AND flow_version = 2", app)).isEqualTo(1);

        // a flow of another app changes nothing here; a second flow of this app is seen at once
        fixture.createFlow(EngineFixture.newApp(), """
                {'name': 'Elsewhere', 'trigger': {'type': 'activity.event', 'event': 'pong'}, 'reentry': 'always',
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Elsewhere', 'text': 'Hi'}]}""");
        fixture.createFlow(app, """
                {'name': 'Pong too', 'trigger': {'type': 'activity.event', 'event': 'pong'}, 'reentry': 'always',
                 'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Pong too', 'text': 'Hi'}]}""");
        fixture.activity(Ids.newCorrelationId(), app, yul, "pong", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.executions(app, "yul"), list -> list.size() == 4);
    }
}
