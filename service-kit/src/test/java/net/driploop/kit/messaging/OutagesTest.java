package net.driploop.kit.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.impl.NoStackTraceThrowable;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Work that cannot reach PostgreSQL waits until it can; other failures, and every failure once the service is
 * stopping (SIGTERM closes the pool before the Kafka consumers), pass through at once.
 */
class OutagesTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final Outages outages = new Outages();
    private final AtomicInteger runs = new AtomicInteger();

    @Test
    void runsWorkAgainUntilPostgresAnswers() {
        Uni<String> work = outages.waitingOut(() -> runs.incrementAndGet() < 4
                ? Uni.createFrom().failure(new ConnectException("Connection refused"))
                : Uni.createFrom().item("done"), () -> "test work");

        assertThat(work.await().atMost(DEADLINE)).isEqualTo("done");
        assertThat(runs).hasValue(4);
    }

    @Test
    void passesOtherFailuresThroughAtOnce() {
        Uni<String> work = outages.waitingOut(() -> {
            runs.incrementAndGet();
            return Uni.createFrom().failure(new IllegalStateException("not a SendEmail"));
        }, () -> "test work");

        assertThatThrownBy(() -> work.await().atMost(DEADLINE)).hasMessage("not a SendEmail");
        assertThat(runs).hasValue(1);
    }

    @Test
    void recognisesTheClosedPoolOfAShutdownAsStopping() {
        assertThat(outages.stopping(new NoStackTraceThrowable("Pool closed"))).isTrue();
        assertThat(outages.stopping(new IllegalStateException("connection reset"))).isFalse();
        Uni<String> work = outages.waitingOut(() -> {
            runs.incrementAndGet();
            return Uni.createFrom().failure(new NoStackTraceThrowable("Pool closed"));
        }, () -> "test work");

        assertThatThrownBy(() -> work.await().atMost(DEADLINE)).hasRootCauseMessage("Pool closed");
        assertThat(runs).hasValue(1);
    }

    @Test
    void treatsEveryFailureAsStoppingOnceTheServiceIsStopping() {
        outages.stop(new ShutdownEvent());
        assertThat(outages.stopping(new IllegalStateException("connection reset"))).isTrue();
        Uni<String> work = outages.waitingOut(() -> {
            runs.incrementAndGet();
            return Uni.createFrom().failure(new ConnectException("Connection refused"));
        }, () -> "test work");

        assertThatThrownBy(() -> work.await().atMost(DEADLINE)).hasCauseInstanceOf(ConnectException.class);
        assertThat(runs).hasValue(1);
    }
}
