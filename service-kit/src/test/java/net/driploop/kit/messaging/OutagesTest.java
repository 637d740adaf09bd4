package net.driploop.kit.messaging;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.impl.NoStackTraceThrowable;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Work that cannot reach PostgreSQL waits until it can; other failures, and every failure once the service is
 * stopping (SIGTERM closes the pool before the Kafka consumers), pass through at once.
 */
class OutagesTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final Outages outages = new Outages(Duration.ofSeconds(5));
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

    @Test
    void theShutdownWaitsForWorkUnderWayAndRefusesNewWork() throws Exception {
        CompletableFuture<String> reply = new CompletableFuture<>();
        CompletableFuture<String> underWay = outages.finishing(() -> Uni.createFrom().completionStage(reply))
                .subscribeAsCompletionStage();
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> outages.stop(new ShutdownEvent()));

        // the shutdown is held while the work runs, and new work is refused meanwhile
        await().atMost(DEADLINE).until(outages::stopping);
        Uni<String> refused = outages.finishing(() -> {
            runs.incrementAndGet();
            return Uni.createFrom().item("sent");
        });
        assertThatThrownBy(() -> refused.await().atMost(DEADLINE)).isInstanceOf(Outages.Stopping.class);
        assertThat(runs).hasValue(0);
        assertThat(shutdown).isNotDone();

        reply.complete("accepted");
        shutdown.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(underWay.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo("accepted");
    }

    @Test
    void theShutdownGivesUpOnWorkThatOutlastsTheDrainTimeout() throws Exception {
        Outages shortDrain = new Outages(Duration.ofMillis(300));
        shortDrain.finishing(() -> Uni.createFrom().nothing()).subscribe().with(item -> {
        });

        // returns (after the drain timeout) although the work never ends
        CompletableFuture.runAsync(() -> shortDrain.stop(new ShutdownEvent())).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(shortDrain.stopping()).isTrue();
    }
}
