package net.driploop.webhook.delivery;

import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.webhook.config.WebhookConfig;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts the deliveries that are due. Every {@code sweep-interval}: whatever is due, of any target (retries,
 * attempts lost with a replica, deliveries stored by another replica), again at once while a sweep comes back full
 * (up to {@value #ROUNDS} times). And as attempts end while deliveries wait for their target's room (a refill), at
 * most one claim at a time and one per {@link #REFILL_SPACING}, so that a claim starts a batch, not one delivery.
 */
@ApplicationScoped
public class RetrySweeper {

    static final int ROUNDS = 10;
    static final Duration REFILL_SPACING = Duration.ofMillis(20);

    private final Deliveries deliveries;
    private final int batch;
    private final AtomicBoolean refilling = new AtomicBoolean();
    private volatile boolean wanted;
    private volatile long lastRefill = System.nanoTime();

    public RetrySweeper(Deliveries deliveries, TargetLimits limits, WebhookConfig config) {
        this.deliveries = deliveries;
        this.batch = config.sweepBatch();
        limits.onRoom(this::wake);
    }

    @Scheduled(every = "${driploop.webhook.sweep-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return deliveries.countBacklog().flatMap(ignored -> claim(ROUNDS));
    }

    private Uni<Void> claim(int rounds) {
        return deliveries.sweep().flatMap(claimed -> claimed >= batch && rounds > 1 ? claim(rounds - 1)
                : Uni.createFrom().voidItem());
    }

    /** Asks for a refill: runs one now unless one runs, else once it has finished. */
    void wake() {
        wanted = true;
        if (refilling.compareAndSet(false, true)) {
            refill();
        }
    }

    private void refill() {
        wanted = false;
        long wait = lastRefill + REFILL_SPACING.toNanos() - System.nanoTime();
        Uni<Void> pause = wait > 0 ? Uni.createFrom().voidItem().onItem().delayIt().by(Duration.ofNanos(wait))
                : Uni.createFrom().voidItem();
        pause.flatMap(ignored -> {
            lastRefill = System.nanoTime();
            return deliveries.refill();
        }).subscribe().with(ignored -> refilled(), failure -> {
            Log.warnf("could not claim waiting webhook deliveries (the sweep will): %s", failure.getMessage());
            lastRefill = System.nanoTime() + Duration.ofSeconds(1).toNanos(); // no faster retries while PostgreSQL fails
            refilled();
        });
    }

    private void refilled() {
        refilling.set(false);
        if (wanted && refilling.compareAndSet(false, true)) {
            refill();
        }
    }
}
