package net.driploop.flow.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fires due timers: each sweep claims a batch with {@code FOR UPDATE SKIP LOCKED} and deletes it in the
 * transaction that advances the executions, so a crash loses nothing and two replicas never fire one timer.
 * Runs every {@code driploop.engine.sweep-interval} on a Vert.x timer, again at once after a full batch, with up
 * to {@code driploop.engine.sweep-concurrency} sweeps at once while batches come back full.
 */
@ApplicationScoped
public class TimerSweeper {

    /**
     * Claims due timers and, in the same statement, locks their executions (in id order) and reads their users:
     * timers before executions, the order in which every other path locks them too.
     */
    private static final String CLAIM = """
            WITH claimed AS (
                DELETE FROM flow.timers WHERE id IN (
                    SELECT id FROM flow.timers WHERE due_at <= now() ORDER BY due_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
                RETURNING execution_id, step_id, due_at)
            SELECT c.execution_id AS timer_execution_id, c.step_id AS timer_step_id, c.due_at AS timer_due_at,
                   e.%s, %s
            FROM claimed c
            JOIN flow.executions e ON e.id = c.execution_id
            LEFT JOIN flow.users u ON u.app_id = e.app_id AND u.external_user_id = e.external_user_id
            ORDER BY c.execution_id
            FOR UPDATE OF e""".formatted(Execution.COLUMNS.replace(", ", ", e."), UserProjection.JOINED_COLUMNS);

    private final Vertx vertx;
    private final Pool pool;
    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final ExecutionRunner runner;
    private final UserProjection users;
    private final EngineConfig config;
    private final AtomicInteger sweeping = new AtomicInteger();
    private final Timer lateness;
    private volatile long timerId = -1;

    TimerSweeper(Vertx vertx, Pool pool, OutboxWriter outbox, OutboxRelay relay, ExecutionRunner runner,
            UserProjection users, EngineConfig config, MeterRegistry registry) {
        this.vertx = vertx;
        this.pool = pool;
        this.outbox = outbox;
        this.relay = relay;
        this.runner = runner;
        this.users = users;
        this.config = config;
        this.lateness = Timer.builder("driploop.timers.lateness")
                .description("How long after its due time a timer was claimed")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    void start(@Observes StartupEvent event) {
        if (config.sweepEnabled()) {
            timerId = vertx.setPeriodic(config.sweepInterval().toMillis(), id -> tick());
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    /** Starts one sweep unless one is running; a sweep that finds a full batch brings in more, up to the limit. */
    private void tick() {
        if (sweeping.compareAndSet(0, 1)) {
            drain();
        }
    }

    /** Sweeps until a batch comes back short, adding a parallel sweep after each full batch while allowed. */
    private void drain() {
        sweepOnce().subscribe().with(claimed -> {
            if (claimed < config.sweepBatch()) {
                sweeping.decrementAndGet();
                return;
            }
            int running = sweeping.get();
            if (running < config.sweepConcurrency() && sweeping.compareAndSet(running, running + 1)) {
                drain();
            }
            drain();
        }, failure -> {
            sweeping.decrementAndGet();
            Log.warn("timer sweep failed; the timers stay due and the next sweep takes them", failure);
        });
    }

    /** What one sweep transaction did: timers claimed, outbox rows to relay once it committed. */
    private record Swept(int claimed, List<StoredRecord> stored) {
    }

    /** One sweep: claims up to a batch of due timers and advances their executions, in one transaction. */
    public Uni<Integer> sweepOnce() {
        return sweepOnce(config.sweepBatch());
    }

    /** One sweep of at most {@code batch} timers; the number claimed. */
    public Uni<Integer> sweepOnce(int batch) {
        Effects effects = new Effects();
        return pool.withTransaction(sql -> sql.preparedQuery(CLAIM).execute(Sql.params(batch))
                        .flatMap(rows -> {
                            List<Row> claimed = Sql.list(rows);
                            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                            for (Row row : claimed) {
                                lateness.record(Duration.between(row.getOffsetDateTime("timer_due_at"), now));
                            }
                            return Sql.all(claimed, row -> {
                                        Execution execution = runner.execution(row);
                                        UserState user = users.joined(row, execution.appId(), execution.externalUserId());
                                        return runner.fireTimer(sql, execution, user, row.getString("timer_step_id"), effects);
                                    })
                                    .flatMap(v -> effects.isEmpty() ? Uni.createFrom().item(List.<StoredRecord>of())
                                            : outbox.insert(sql, effects.records()))
                                    .map(stored -> new Swept(claimed.size(), stored));
                        }))
                .invoke(swept -> relay.publish(swept.stored()))
                .map(Swept::claimed);
    }
}
