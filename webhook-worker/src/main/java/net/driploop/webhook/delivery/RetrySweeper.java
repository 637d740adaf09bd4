package net.driploop.webhook.delivery;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Starts the deliveries that are due: retries, first attempts deferred at the in-flight limit, lost attempts. */
@ApplicationScoped
public class RetrySweeper {

    private final Deliveries deliveries;

    public RetrySweeper(Deliveries deliveries) {
        this.deliveries = deliveries;
    }

    @Scheduled(every = "${driploop.webhook.sweep-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        return deliveries.sweep().replaceWithVoid();
    }
}
