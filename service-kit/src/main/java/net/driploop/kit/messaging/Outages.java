package net.driploop.kit.messaging;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import net.driploop.kit.http.Unavailable;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * How consumers live through a PostgreSQL outage and a shutdown. Work that cannot reach PostgreSQL is run again
 * until it can, for as long as the outage lasts: nothing is dead-lettered, and the records wait on Kafka, behind
 * their partition's offset. On SIGTERM the pool closes while the Kafka consumers still deliver records; those fail
 * with "Pool closed" through no fault of their own, and a consumer leaves them unacknowledged (not dead-lettered),
 * so the next instance consumes them again.
 * <p>
 * Work that must not be cut in two by a shutdown (an email claimed and not yet recorded, a webhook call under way) runs
 * {@link #finishing}: the shutdown waits for it, up to {@code driploop.shutdown.drain-timeout}, before anything else
 * stops (the PostgreSQL pool closes right after the shutdown event), and such work no longer starts once the service
 * is stopping.
 */
@ApplicationScoped
public class Outages {

    /** What the Vert.x SQL pool answers once closed: only ever during shutdown here. */
    static final String POOL_CLOSED = "Pool closed";

    private final Duration drainTimeout;
    private final AtomicInteger finishing = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition finished = lock.newCondition();
    private volatile boolean stopping;

    @Inject
    public Outages(@ConfigProperty(name = "driploop.shutdown.drain-timeout", defaultValue = "PT20S") Duration drainTimeout) {
        this.drainTimeout = drainTimeout;
    }

    /**
     * On SIGTERM, before any other shutdown observer (the outbox relay still publishes what the finishing work
     * records) and before the PostgreSQL pool closes: stops new work, then waits for the work under way.
     */
    void stop(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        stopping = true;
        int running = finishing.get();
        if (running == 0) {
            return;
        }
        Log.infof("stopping: waiting up to %s for %d deliveries under way", drainTimeout, running);
        long left = drainTimeout.toNanos();
        lock.lock();
        try {
            while (finishing.get() > 0 && left > 0) {
                left = finished.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        if (finishing.get() > 0) {
            Log.warnf("stopping with %d deliveries still under way after %s: the next instance finds them (an email's "
                    + "outcome as unknown, a webhook call to be made again after its lease)", finishing.get(), drainTimeout);
        }
    }

    /** True once the service is stopping (SIGTERM): work that would only be refused is better not claimed. */
    public boolean stopping() {
        return stopping;
    }

    /** True when a failure comes from the service stopping rather than from the work or its record. */
    public boolean stopping(Throwable failure) {
        return stopping || failure != null && POOL_CLOSED.equals(failure.getMessage());
    }

    /**
     * {@code work}, which a shutdown waits for once it has started; once the service is stopping it does not start
     * and fails with {@link Stopping} instead (a consumer leaves its record for the next instance).
     */
    public <T> Uni<T> finishing(Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            // counted before the check: a shutdown that has not seen this count sees stopping set, and the other way round
            finishing.incrementAndGet();
            if (stopping) {
                done();
                return Uni.createFrom().failure(new Stopping());
            }
            return Uni.createFrom().deferred(work::get).onTermination().invoke(this::done);
        });
    }

    private void done() {
        if (finishing.decrementAndGet() == 0 && stopping) {
            lock.lock();
            try {
                finished.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** The failure of work refused because the service is stopping; without a stack trace (it is no fault). */
    public static final class Stopping extends RuntimeException {
        Stopping() {
            super("the service is stopping", null, false, false);
        }
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
