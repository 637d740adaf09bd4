package net.driploop.webhook.delivery;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import net.driploop.kit.http.Unavailable;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The worker's PostgreSQL work, run again for as long as the database cannot be reached ({@link Unavailable}; 100 ms
 * to 5 s apart, each wait logged), however long that is: an outage is waited out, never turned into a lost, failed or
 * dead-lettered command. Any other failure is retried {@value #RETRIES} times, then passes through.
 */
public final class Outages {

    /** Retries of a failure other than an unreachable database. */
    static final int RETRIES = 5;

    private Outages() {
    }

    /** {@code work}, run again as above; {@code what} names the waiting work in the log. */
    public static <T> Uni<T> waitedOut(Supplier<Uni<T>> work, Supplier<String> what) {
        return Uni.createFrom().deferred(work::get)
                .onFailure(Unavailable::isUnavailable)
                .invoke(failure -> Log.warnf("%s wait for PostgreSQL: %s", what.get(), failure.getMessage()))
                .onFailure(Unavailable::isUnavailable).retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5)).indefinitely()
                .onFailure().invoke(failure -> Log.warnf("%s failed: %s", what.get(), failure.getMessage()))
                .onFailure().retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(1)).atMost(RETRIES);
    }
}
