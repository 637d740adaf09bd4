package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.model.Ids;
import net.driploop.model.event.UserSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Reentry policies: once per user ever, not while one runs, or every time. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EngineReentryTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String FLOW = """
            {'name': 'Active', 'trigger': {'type': 'user.active'}, 'reentry': '%s',
             'steps': [%s{'id': 'mail', 'type': 'email', 'subject': 'Hi', 'text': 'Hi'}]}""";
    private static final String LONG_WAIT = "{'id': 'pause', 'type': 'wait', 'duration': 'PT1H'},";

    @Inject
    Pool pool;
    @Inject
    FlowCatalog catalog;
    @Inject
    ExecutionRunner runner;
    @Inject
    ObjectMapper mapper;

    private EngineFixture fixture;
    private final String app = EngineFixture.newApp();

    @BeforeEach
    void setUp() {
        fixture = new EngineFixture(pool);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void onceLetsAUserEnterOnlyOnceEvenAfterTheExecutionEnded() {
        fixture.createFlow(app, FLOW.formatted("once", ""));
        assertThat(twoActivitiesOf("oli")).isEqualTo(1);
    }

    @Test
    void ifNotActiveRefusesASecondEntryWhileOneRuns() {
        fixture.createFlow(app, FLOW.formatted("if_not_active", LONG_WAIT));
        assertThat(twoActivitiesOf("pam")).isEqualTo(1);
    }

    @Test
    void ifNotActiveLetsTheUserInAgainOnceTheExecutionEnded() {
        fixture.createFlow(app, FLOW.formatted("if_not_active", ""));
        assertThat(twoActivitiesOf("quinn")).isEqualTo(2);
    }

    @Test
    void alwaysStartsAnExecutionForEveryMatchingEvent() {
        fixture.createFlow(app, FLOW.formatted("always", LONG_WAIT));
        assertThat(twoActivitiesOf("ray")).isEqualTo(2);
    }

    @Test
    void concurrentTriggersOfAnExclusiveFlowStartOneExecution() {
        for (String reentry : List.of("if_not_active", "once")) {
            String flowApp = EngineFixture.newApp();
            fixture.createFlow(flowApp, FLOW.formatted(reentry, LONG_WAIT));
            FlowCatalog.ActiveFlow flow = pool.withConnection(sql -> catalog.activeFlows(sql, flowApp, "user.active", null))
                    .await().atMost(DEADLINE).get(0);
            UserState user = new UserState(flowApp, "tia", "tia@example.com", "active", mapper.createObjectNode(), null);
            ObjectNode triggerData = mapper.createObjectNode();
            triggerData.putObject("event").put("name", "login").putObject("metadata");

            List<CompletableFuture<Void>> starts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                IncomingEvent in = new IncomingEvent(Ids.newId(Ids.EVENT), "user.active", Ids.newCorrelationId(), null,
                        triggerData, "login");
                starts.add(pool.withTransaction(sql -> runner.start(sql, flow, in, user, new Effects()))
                        .subscribeAsCompletionStage().toCompletableFuture());
            }
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).orTimeout(20, TimeUnit.SECONDS).join();

            assertThat(fixture.executions(flowApp, "tia")).as(reentry).hasSize(1);
        }
    }

    /** Two activities of the user, one after the other; the number of executions once both were applied. */
    private long twoActivitiesOf(String externalUserId) {
        UserSnapshot user = EngineFixture.user(externalUserId, externalUserId + "@example.com", Map.of());
        String first = fixture.activity(Ids.newCorrelationId(), app, user, "login", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.processed(first));
        String second = fixture.activity(Ids.newCorrelationId(), app, user, "login", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.processed(second));
        return fixture.executions(app, externalUserId).size();
    }
}
