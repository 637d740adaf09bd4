package net.driploop.ingest.outbox;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.config.IngestConfig;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes what the after-commit relay did not: rows whose lease ran out (a failed send, a full queue, a
 * replica that died). Rows are claimed with {@code FOR UPDATE SKIP LOCKED} and a fresh lease, so replicas
 * share the work and never send the same row at once. Also keeps the outbox-backlog gauge.
 */
@ApplicationScoped
public class OutboxSweeper {

    private final Pool pool;
    private final OutboxRelay relay;
    private final IngestConfig config;
    private final AtomicLong backlog = new AtomicLong();

    public OutboxSweeper(Pool pool, OutboxRelay relay, IngestConfig config, MeterRegistry registry) {
        this.pool = pool;
        this.relay = relay;
        this.config = config;
        Gauge.builder("driploop.outbox.backlog", backlog, AtomicLong::get)
                .description("Outbox rows not yet acknowledged by Kafka").register(registry);
    }

    @Scheduled(every = "${driploop.outbox.sweep-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return pool.query("SELECT count(*) AS n FROM ingest.outbox").execute()
                .invoke(rows -> backlog.set(rows.iterator().next().getLong("n")))
                .flatMap(ignored -> claim())
                .replaceWithVoid();
    }

    /** Claims expired rows in id order and hands them to the relay; returns how many. */
    Uni<Integer> claim() {
        return pool.preparedQuery("""
                        UPDATE ingest.outbox SET lease_until = now() + make_interval(secs => $1)
                        WHERE id IN (SELECT id FROM ingest.outbox WHERE lease_until < now()
                                     ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
                        RETURNING %s""".formatted(StoredRecord.COLUMNS))
                .execute(Tuple.of((double) config.outbox().lease().toSeconds(), config.outbox().sweepBatch()))
                .map(OutboxWriter::stored)
                .invoke(records -> {
                    records.sort((a, b) -> Long.compare(a.rowId(), b.rowId()));
                    relay.publish(records);
                })
                .map(java.util.List::size);
    }
}
