package net.driploop.flow.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two sweepers claiming the same due timers at once: every timer fires exactly once. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
@TestProfile(EngineTimerSharingTest.NoBackgroundSweep.class)
class EngineTimerSharingTest {

    private static final int TIMERS = 200;
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    /** Only the test's two sweepers run. */
    public static class NoBackgroundSweep implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("driploop.engine.sweep-enabled", "false");
        }
    }

    @Inject
    Pool pool;
    @Inject
    Vertx vertx;
    @Inject
    OutboxWriter outbox;
    @Inject
    OutboxRelay relay;
    @Inject
    ExecutionRunner runner;
    @Inject
    UserProjection projection;
    @Inject
    EngineConfig config;
    @Inject
    MeterRegistry registry;
    @Inject
    Housekeeping housekeeping;

    @Test
    void twoSweepersSharingDueTimersFireEachExactlyOnce() throws Exception {
        String app = EngineFixture.newApp();
        String flowId;
        try (EngineFixture fixture = new EngineFixture(pool)) {
            flowId = fixture.createFlow(app, """
                    {'name': 'Shared', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                     'steps': [{'id': 'pause', 'type': 'wait', 'duration': 'PT1M'},
                               {'id': 'mail', 'type': 'email', 'subject': 'Hi', 'text': 'Hi'}]}""");
        }
        waitingExecutionsWithDueTimers(app, flowId);
        housekeeping.measureBacklog().await().atMost(DEADLINE);
        double dueBefore = registry.get("driploop.timers.due").gauge().value();
        assertThat(dueBefore).isGreaterThanOrEqualTo(TIMERS);
        assertThat(registry.get("driploop.timers.oldest.due.age").gauge().value()).isPositive();
        TimerSweeper first = new TimerSweeper(vertx, pool, outbox, relay, runner, projection, config, registry);
        TimerSweeper second = new TimerSweeper(vertx, pool, outbox, relay, runner, projection, config, registry);

        CompletableFuture<Integer> a = CompletableFuture.supplyAsync(() -> sweepUntilNothingIsDue(first));
        CompletableFuture<Integer> b = CompletableFuture.supplyAsync(() -> sweepUntilNothingIsDue(second));

        assertThat(a.get() + b.get()).isGreaterThanOrEqualTo(TIMERS);
        assertThat(a.get()).isPositive();
        assertThat(b.get()).isPositive();
        housekeeping.measureBacklog().await().atMost(DEADLINE);
        assertThat(registry.get("driploop.timers.due").gauge().value()).isLessThanOrEqualTo(dueBefore - TIMERS);
        try (EngineFixture fixture = new EngineFixture(pool)) {
            assertThat(fixture.count("SELECT count(*) FROM flow.executions WHERE app_id = $1 AND status = 'completed'",
                    app)).isEqualTo(TIMERS);
            assertThat(fixture.count("""
                    SELECT count(*) FROM flow.execution_steps s JOIN flow.executions e ON e.id = s.execution_id
                    WHERE e.app_id = $1 AND s.step_id = 'mail'""", app)).isEqualTo(TIMERS);
        }
        try (TopicReader emails = EngineFixture.reader(Topics.EMAIL_COMMANDS)) {
            List<TopicReader.Message> sent = await().atMost(DEADLINE)
                    .until(() -> emails.poll(m -> m.key().startsWith(app + ":")), list -> list.size() >= TIMERS);
            Map<String, Long> perCommand = sent.stream()
                    .collect(Collectors.groupingBy(m -> m.header(CloudEventHeaders.ID), Collectors.counting()));
            assertThat(perCommand).hasSize(TIMERS).allSatisfy((id, copies) -> assertThat(copies).isEqualTo(1));
        }
    }

    @Test
    void anAwaitedEventRacingItsTimeoutContinuesEachExecutionOneWayOnly() throws Exception {
        int users = 20;
        String app = EngineFixture.newApp();
        try (EngineFixture fixture = new EngineFixture(pool);
                TopicReader emails = EngineFixture.reader(Topics.EMAIL_COMMANDS)) {
            String flowId = fixture.createFlow(app, """
                    {'name': 'Race', 'trigger': {'type': 'user.registered'}, 'reentry': 'always',
                     'steps': [{'id': 'wait', 'type': 'wait_for', 'event': 'paid', 'timeout': 'PT1M',
                                'then': 'thanks', 'else': 'reminder'},
                               {'id': 'reminder', 'type': 'email', 'subject': 'Reminder', 'text': 'Hi', 'next': 'end'},
                               {'id': 'thanks', 'type': 'email', 'subject': 'Thanks', 'text': 'Hi'}]}""");
            Tuple params = Tuple.of(app, flowId, users);
            waitingExecutions(params, "wait", "wait_for", "wait_for_timeout");
            pool.preparedQuery("""
                    INSERT INTO flow.awaited_events (execution_id, app_id, external_user_id, step_id, event_name)
                    SELECT 'exe_' || $1 || '_' || g, $1, 'u' || g, 'wait', 'paid'
                    FROM generate_series(1, $3) g WHERE $2::text IS NOT NULL""").execute(params).await().atMost(DEADLINE);

            TimerSweeper sweeper = new TimerSweeper(vertx, pool, outbox, relay, runner, projection, config, registry);
            List<String> events = new java.util.ArrayList<>();
            // the sweep starts once the consumer has applied the first event, while the others are in flight
            for (int i = 1; i <= users; i++) {
                events.add(fixture.activity(Ids.newCorrelationId(), app,
                        EngineFixture.user("u" + i, "u" + i + "@example.com", Map.of()), "paid", Map.of()));
            }
            await().atMost(DEADLINE).until(() -> fixture.processed(events.get(0)));
            CompletableFuture<Integer> sweeps = CompletableFuture.supplyAsync(() -> sweepUntilNothingIsDue(sweeper));
            sweeps.get();
            await().atMost(DEADLINE).until(() -> events.stream().allMatch(fixture::processed));

            assertThat(fixture.count("SELECT count(*) FROM flow.executions WHERE app_id = $1 AND status = 'completed'",
                    app)).isEqualTo(users);
            assertThat(fixture.count("""
                    SELECT count(*) FROM flow.execution_steps s JOIN flow.executions e ON e.id = s.execution_id
                    WHERE e.app_id = $1 AND s.step_id IN ('thanks', 'reminder')""", app)).isEqualTo(users);
            assertThat(fixture.count("SELECT count(*) FROM flow.awaited_events WHERE app_id = $1", app)).isZero();
            List<TopicReader.Message> sent = await().atMost(DEADLINE)
                    .until(() -> emails.poll(m -> m.key().startsWith(app + ":")), list -> list.size() >= users);
            assertThat(sent.stream().map(TopicReader.Message::key).distinct()).hasSize(users);
            assertThat(sent).hasSize(users);
            Log.infof("wait_for race: %d continued on the event, %d on the timeout", fixture.count("""
                    SELECT count(*) FROM flow.execution_steps s JOIN flow.executions e ON e.id = s.execution_id
                    WHERE e.app_id = $1 AND s.step_id = 'thanks'""", app), fixture.count("""
                    SELECT count(*) FROM flow.execution_steps s JOIN flow.executions e ON e.id = s.execution_id
                    WHERE e.app_id = $1 AND s.step_id = 'reminder'""", app));
        }
    }

    /** Small batches, so that the two sweepers take turns and contend for the same rows. */
    private static int sweepUntilNothingIsDue(TimerSweeper sweeper) {
        int total = 0;
        while (true) {
            int claimed = sweeper.sweepOnce(10).await().atMost(DEADLINE);
            if (claimed == 0) {
                return total;
            }
            total += claimed;
        }
    }

    private void waitingExecutionsWithDueTimers(String app, String flowId) {
        waitingExecutions(Tuple.of(app, flowId, TIMERS), "pause", "wait", "wait");
    }

    /** {@code $3} users of app {@code $1}, each with an execution of flow {@code $2} waiting at a step, its timer due. */
    private void waitingExecutions(Tuple params, String stepId, String stepType, String timerKind) {
        pool.withTransaction(sql -> sql.preparedQuery("""
                                INSERT INTO flow.users (app_id, external_user_id, email, metadata, status, updated_at)
                                SELECT $1, 'u' || g, 'u' || g || '@example.com', '{}', 'active', now()
                                FROM generate_series(1, $3) g WHERE $2::text IS NOT NULL""").execute(params)
                        .flatMap(v -> sql.preparedQuery("""
                                INSERT INTO flow.executions (id, app_id, flow_id, flow_version, external_user_id, exclusive,
                                    status, current_step, correlation_id, trigger_data, started_at, updated_at)
                                SELECT 'exe_' || $1 || '_' || g, $1, $2, 1, 'u' || g, false, 'waiting', $4,
                                    'cor_' || $1, '{"event": {"name": "user.registered", "metadata": {}}}', now(), now()
                                FROM generate_series(1, $3) g""").execute(with(params, stepId)))
                        .flatMap(v -> sql.preparedQuery("""
                                INSERT INTO flow.execution_steps (execution_id, seq, step_id, type, status, started_at, detail)
                                SELECT 'exe_' || $1 || '_' || g, 1, $4, $5, 'waiting', now(), '{}'
                                FROM generate_series(1, $3) g WHERE $2::text IS NOT NULL""").execute(with(params, stepId, stepType)))
                        .flatMap(v -> sql.preparedQuery("""
                                INSERT INTO flow.timers (execution_id, step_id, kind, due_at)
                                SELECT 'exe_' || $1 || '_' || g, $4, $5, now() - interval '1 second'
                                FROM generate_series(1, $3) g WHERE $2::text IS NOT NULL""").execute(with(params, stepId, timerKind))))
                .await().atMost(DEADLINE);
    }

    private static Tuple with(Tuple params, Object... more) {
        Tuple tuple = Tuple.of(params.getValue(0), params.getValue(1), params.getValue(2));
        for (Object value : more) {
            tuple.addValue(value);
        }
        return tuple;
    }
}
