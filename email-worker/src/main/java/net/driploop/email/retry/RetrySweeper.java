package net.driploop.email.retry;

import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.email.config.EmailConfig;
import net.driploop.email.delivery.DeliveryLedger;
import net.driploop.email.delivery.DeliveryMetrics;
import net.driploop.email.delivery.DeliveryService;
import net.driploop.kit.messaging.Outages;

/**
 * The durable retry schedule at work: claims due retries ({@code FOR UPDATE SKIP LOCKED}, with a lease, so
 * replicas share them) and re-attempts them, a few at a time, away from the Kafka partitions; also records
 * deliveries left {@code sending} past their lease as uncertain, and keeps the retry-backlog gauge.
 */
@ApplicationScoped
public class RetrySweeper {

    private static final int CONCURRENCY = 8;

    private final Pool pool;
    private final DeliveryLedger ledger;
    private final DeliveryService deliveries;
    private final DeliveryMetrics metrics;
    private final EmailConfig config;
    private final Outages outages;

    public RetrySweeper(Pool pool, DeliveryLedger ledger, DeliveryService deliveries, DeliveryMetrics metrics,
            EmailConfig config, Outages outages) {
        this.outages = outages;
        this.pool = pool;
        this.ledger = ledger;
        this.deliveries = deliveries;
        this.metrics = metrics;
        this.config = config;
    }

    @Scheduled(every = "${driploop.email.sweep-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        if (outages.stopping()) {
            // a stopping worker claims nothing: it would not attempt it
            return Uni.createFrom().voidItem();
        }
        return pool.query("SELECT count(*) AS n FROM email.retries").execute()
                .invoke(rows -> metrics.retryBacklog(rows.iterator().next().getLong("n")))
                .flatMap(ignored -> deliveries.expireStaleSends())
                .flatMap(ignored -> ledger.claimDueRetries(pool, config.sweepBatch(), config.retryLease()))
                .flatMap(due -> Multi.createFrom().iterable(due)
                        .onItem().transformToUni(retry -> deliveries.retry(retry)
                                .onFailure().invoke(failure -> Log.warnf(
                                        "retry of email %s failed; it is claimed again when its lease runs out: %s",
                                        retry.commandId(), failure.getMessage()))
                                .onFailure().recoverWithNull())
                        .merge(CONCURRENCY)
                        .collect().last())
                .onFailure().invoke(failure -> Log.warnf("email retry sweep failed; the next one tries again: %s",
                        failure.getMessage()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }
}
