package net.driploop.kit.messaging;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import net.driploop.kit.http.Unavailable;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * How consumers live through a PostgreSQL outage and a shutdown. Work that cannot reach PostgreSQL is run again
 * until it can, for as long as the outage lasts: nothing is dead-lettered, and the records wait on Kafka, behind
 * their partition's offset. On SIGTERM the pool closes while the Kafka consumers still deliver records; those fail
 * with "Pool closed" through no fault of their own, and a consumer leaves them unacknowledged (not dead-lettered),
 * so the next instance consumes them again.
 */
@ApplicationScoped
public class Outages {

    /** What the Vert.x SQL pool answers once closed: only ever during shutdown here. */
    static final String POOL_CLOSED = "Pool closed";

    private volatile boolean stopping;

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    /** True when a failure comes from the service stopping rather than from the work or its record. */
    public boolean stopping(Throwable failure) {
        return stopping || failure != null && POOL_CLOSED.equals(failure.getMessage());
    }

    /**
     * {@code work}, run again (100 ms to 5 s apart) for as long as PostgreSQL cannot be reached, unless the service is
     * stopping; {@code what} names the waiting work in the log. Any other failure passes through.
     */
    public <T> Uni<T> waitingOut(Supplier<Uni<T>> work, Supplier<String> what) {
        return Uni.createFrom().deferred(work::get)
                .onFailure(this::waitable)
                .invoke(failure -> Log.warnf("%s wait for PostgreSQL: %s", what.get(), failure.getMessage()))
                .onFailure(this::waitable).retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5)).indefinitely();
    }

    /**
     * As {@link #waitingOut(Supplier, Supplier)}, and a failure that {@code retryable} accepts (a deadlock, say) is
     * run again up to {@code retries} times (100 ms to 2 s apart, each logged) before it passes through.
     */
    public <T> Uni<T> waitingOut(Supplier<Uni<T>> work, Supplier<String> what, Predicate<Throwable> retryable,
            int retries) {
        Predicate<Throwable> again = failure -> !stopping(failure) && retryable.test(failure);
        return waitingOut(work, what)
                .onFailure(again).invoke(failure -> Log.warnf("%s failed, running it again: %s", what.get(),
                        failure.getMessage()))
                .onFailure(again).retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2)).atMost(retries);
    }

    private boolean waitable(Throwable failure) {
        return !stopping(failure) && Unavailable.isUnavailable(failure);
    }
}
