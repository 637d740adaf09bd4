package net.driploop.flow.engine;

import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import net.driploop.kit.http.Unavailable;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Settles a consumed record once its work is done: acknowledged on success, nacked (so dead-lettered) on failure,
 * except a failure caused by the service stopping. On SIGTERM the PostgreSQL pool closes while the Kafka consumers
 * still deliver records; those fail with "Pool closed" through no fault of their own. Such a record is left
 * unacknowledged: its offset is not committed and the next instance consumes it again (processing dedups on
 * {@code ce_id}), instead of it being dead-lettered and lost.
 */
@ApplicationScoped
public class RecordSettler {

    /** What the Vert.x SQL pool answers once closed: only ever during shutdown here. */
    static final String POOL_CLOSED = "Pool closed";

    private volatile boolean stopping;

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    /** True when a failure comes from the service stopping rather than from the record. */
    boolean stopping(Throwable failure) {
        return stopping || failure != null && POOL_CLOSED.equals(failure.getMessage());
    }

    /**
     * Acks on success, nacks on failure, or leaves the record for redelivery when the service is stopping.
     *
     * @param what the record, for the log
     */
    Uni<Void> settle(Message<?> message, Throwable failure, String what) {
        if (failure == null) {
            return Uni.createFrom().completionStage(message.ack());
        }
        if (stopping(failure)) {
            Log.infof("%s left unacknowledged for redelivery: the service is stopping (%s)", what, failure.getMessage());
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().completionStage(message.nack(failure));
    }

    /**
     * {@code work}, run again (100 ms to 5 s apart) for as long as PostgreSQL cannot be reached, unless the service is
     * stopping; {@code what} names the waiting work in the log. Any other failure passes through.
     */
    <T> Uni<T> waitingOutOutages(Supplier<Uni<T>> work, Supplier<String> what) {
        return Uni.createFrom().deferred(work::get)
                .onFailure(failure -> !stopping(failure) && Unavailable.isUnavailable(failure))
                .invoke(failure -> Log.warnf("%s wait for PostgreSQL: %s", what.get(), failure.getMessage()))
                .onFailure(failure -> !stopping(failure) && Unavailable.isUnavailable(failure)).retry()
                .withBackOff(Duration.ofMillis(100), Duration.ofSeconds(5)).indefinitely();
    }
}
