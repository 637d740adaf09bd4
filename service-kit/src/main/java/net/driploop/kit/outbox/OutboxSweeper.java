package net.driploop.kit.outbox;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.config.OutboxConfig;
import net.driploop.kit.messaging.Outages;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes what the after-commit relay did not: rows whose lease ran out (a failed send, a full queue, a
 * replica that died). Rows are claimed with {@code FOR UPDATE SKIP LOCKED} and a fresh lease, so replicas
 * share the work and never send the same row at once. Also keeps the outbox-backlog gauge.
 */
@ApplicationScoped
public class OutboxSweeper {

    private final Pool pool;
    private final Outages outages;
    private final OutboxRelay relay;
    private final OutboxConfig config;
    private final String count;
    private final String claim;
    private final AtomicLong backlog = new AtomicLong();

    public OutboxSweeper(Pool pool, OutboxRelay relay, OutboxConfig config, MeterRegistry registry, Outages outages) {
        this.pool = pool;
        this.outages = outages;
        this.relay = relay;
        this.config = config;
        this.count = "SELECT count(*) AS n FROM " + config.table();
        this.claim = """
                UPDATE %1$s SET lease_until = now() + make_interval(secs => $1)
                WHERE id IN (SELECT id FROM %1$s WHERE lease_until < now()
                             ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
                RETURNING %2$s""".formatted(config.table(), StoredRecord.COLUMNS);
        Gauge.builder("driploop.outbox.backlog", backlog, AtomicLong::get)
                .description("Outbox rows not yet acknowledged by Kafka").register(registry);
    }

    /**
     * A sweep that cannot reach PostgreSQL (an outage, or the pool closed by the shutdown) changes nothing: the
     * rows keep their leases and the next sweep takes them.
     */
    @Scheduled(every = "${driploop.outbox.sweep-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return pool.query(count).execute()
                .invoke(rows -> backlog.set(rows.iterator().next().getLong("n")))
                .flatMap(ignored -> claim())
                .replaceWithVoid()
                .onFailure().recoverWithItem(failure -> {
                    if (!outages.stopping(failure)) {
                        Log.warnf("outbox sweep failed; the next one tries again: %s", failure.getMessage());
                    }
                    return null;
                });
    }

    /** Claims expired rows in id order and hands them to the relay; returns how many. */
    Uni<Integer> claim() {
        return pool.preparedQuery(claim)
                .execute(Tuple.of((double) config.lease().toSeconds(), config.sweepBatch()))
                .map(OutboxWriter::stored)
                .invoke(records -> {
                    records.sort((a, b) -> Long.compare(a.rowId(), b.rowId()));
                    relay.publish(records);
                })
                .map(java.util.List::size);
    }
}
