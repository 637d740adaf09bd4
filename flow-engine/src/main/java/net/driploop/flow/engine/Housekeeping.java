package net.driploop.flow.engine;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's upkeep: the due-timer backlog as metrics (how many timers are due and not yet fired, and how
 * late the oldest is: the figures to alert on when sweeps fall behind), the retention of processed record
 * ids, which only need to outlive the time Kafka can redeliver a record, and that of the automation log.
 */
@ApplicationScoped
class Housekeeping {

    /** The backlog count stops here, so that reading it stays cheap however far behind the sweeps are. */
    static final int BACKLOG_COUNT_CAP = 1_000_000;
    /** Rows one retention statement deletes, so that no statement holds many locks or runs long. */
    static final int PURGE_BATCH = 10_000;

    private final Pool pool;
    private final EngineConfig config;
    private final AtomicLong due = new AtomicLong();
    private final AtomicLong oldestDueAgeMillis = new AtomicLong();

    Housekeeping(Pool pool, EngineConfig config, MeterRegistry registry) {
        this.pool = pool;
        this.config = config;
        Gauge.builder("driploop.timers.due", due, AtomicLong::get)
                .description("Timers due and not yet fired (counted up to " + BACKLOG_COUNT_CAP + ")")
                .register(registry);
        Gauge.builder("driploop.timers.oldest.due.age", oldestDueAgeMillis, v -> v.get() / 1000.0)
                .description("Seconds since the oldest unfired timer fell due (0 when none is due)")
                .baseUnit("seconds")
                .register(registry);
    }

    @Scheduled(every = "${driploop.engine.backlog-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> measureBacklog() {
        return pool.preparedQuery("""
                        SELECT (SELECT count(*) FROM (SELECT 1 FROM flow.timers WHERE due_at <= now() LIMIT $1) d) AS due,
                               (SELECT min(due_at) FROM flow.timers) AS oldest""")
                .execute(Sql.params(BACKLOG_COUNT_CAP))
                .invoke(rows -> {
                    Row row = rows.iterator().next();
                    due.set(row.getLong("due"));
                    OffsetDateTime oldest = row.getOffsetDateTime("oldest");
                    long age = oldest == null ? 0 : System.currentTimeMillis() - oldest.toInstant().toEpochMilli();
                    oldestDueAgeMillis.set(Math.max(0, age));
                })
                .onFailure().invoke(failure -> Log.debugf("timer backlog not measured: %s", failure.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    @Scheduled(every = "${driploop.engine.retention-interval:1h}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purge() {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return purgeProcessedRecordsBefore(now.minus(config.processedRetention()))
                .onFailure().invoke(failure -> Log.warnf("processed record ids not purged: %s", failure.getMessage()))
                .onFailure().recoverWithNull()
                .flatMap(ignored -> purgeAutomationLogBefore(now.minus(config.traceRetention())))
                .onFailure().invoke(failure -> Log.warnf("automation-log entries not purged: %s", failure.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** Deletes processed record ids older than {@code cutoff}, a batch at a time; how many it deleted. */
    Uni<Long> purgeProcessedRecordsBefore(OffsetDateTime cutoff) {
        return purgeBefore("flow.processed_records", "processed_at", cutoff);
    }

    /** Deletes automation-log entries older than {@code cutoff}, a batch at a time; how many it deleted. */
    Uni<Long> purgeAutomationLogBefore(OffsetDateTime cutoff) {
        return purgeBefore("flow.automation_log", "at", cutoff);
    }

    /** Deletes the table's rows whose {@code column} is before {@code cutoff}, {@link #PURGE_BATCH} per statement. */
    private Uni<Long> purgeBefore(String table, String column, OffsetDateTime cutoff) {
        return pool.preparedQuery("""
                        DELETE FROM %1$s WHERE ctid = ANY (ARRAY(
                            SELECT ctid FROM %1$s WHERE %2$s < $1 LIMIT $2))""".formatted(table, column))
                .execute(Sql.params(cutoff, PURGE_BATCH))
                .flatMap(rows -> rows.rowCount() < PURGE_BATCH ? Uni.createFrom().item((long) rows.rowCount())
                        : purgeBefore(table, column, cutoff).map(more -> more + rows.rowCount()));
    }
}
