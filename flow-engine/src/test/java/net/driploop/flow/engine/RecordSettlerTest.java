package net.driploop.flow.engine;

import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.impl.NoStackTraceThrowable;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A record that fails while the service stops (SIGTERM closes the PostgreSQL pool before the Kafka consumers) is
 * neither acknowledged nor dead-lettered, so the next instance consumes it again; any other failure is nacked.
 */
class RecordSettlerTest {

    private final List<String> outcomes = new ArrayList<>();
    private final Message<String> message = Message.of("record", () -> {
        outcomes.add("ack");
        return CompletableFuture.completedFuture(null);
    }, failure -> {
        outcomes.add("nack: " + failure.getMessage());
        return CompletableFuture.completedFuture(null);
    });
    private final RecordSettler settler = new RecordSettler();

    @Test
    void acknowledgesARecordWhoseWorkSucceeded() {
        settle(null);
        assertThat(outcomes).containsExactly("ack");
    }

    @Test
    void nacksARecordWhoseWorkFailedWhileRunning() {
        settle(new IllegalStateException("not a SendEmail"));
        assertThat(outcomes).containsExactly("nack: not a SendEmail");
    }

    @Test
    void leavesARecordForRedeliveryWhenThePoolHasBeenClosedByTheShutdown() {
        settle(new NoStackTraceThrowable("Pool closed"));
        assertThat(outcomes).isEmpty();
    }

    @Test
    void leavesEveryFailedRecordForRedeliveryOnceTheServiceIsStopping() {
        settler.stop(new ShutdownEvent());
        settle(new IllegalStateException("connection reset"));
        assertThat(outcomes).isEmpty();
        // a record that succeeded is still acknowledged
        settle(null);
        assertThat(outcomes).containsExactly("ack");
    }

    private void settle(Throwable failure) {
        settler.settle(message, failure, "record").await().atMost(Duration.ofSeconds(5));
    }
}
