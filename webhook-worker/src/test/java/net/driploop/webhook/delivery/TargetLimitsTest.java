package net.driploop.webhook.delivery;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The slots of attempts: per target and in all, and the targets whose deliveries wait in the table. */
class TargetLimitsTest {

    final AtomicInteger wakes = new AtomicInteger();
    final TargetLimits limits = limits(3, 2);

    TargetLimits limits(int inFlight, int perTarget) {
        TargetLimits limits = new TargetLimits(new net.driploop.webhook.config.WebhookConfig() {
            public Optional<String> secretKey() { return Optional.empty(); }
            public boolean allowPrivateTargets() { return false; }
            public List<Duration> retryDelays() { return List.of(); }
            public Duration rotationOverlap() { return Duration.ZERO; }
            public Duration connectTimeout() { return Duration.ofSeconds(1); }
            public Duration responseTimeout() { return Duration.ofSeconds(1); }
            public Duration maxRetryAfter() { return Duration.ZERO; }
            public String sweepInterval() { return "1s"; }
            public int sweepBatch() { return 10; }
            public Optional<String> trustCertificates() { return Optional.empty(); }
            public int maxInFlight() { return inFlight; }
            public int maxPerTarget() { return perTarget; }
            public Duration secretCacheTtl() { return Duration.ZERO; }
        });
        limits.onRoom(wakes::incrementAndGet);
        return limits;
    }

    @Test
    void keysATargetByLowerCaseSchemeHostAndPort() {
        assertThat(TargetLimits.of("https://Hooks.Example.com/a?b")).isEqualTo("https://hooks.example.com:443");
        assertThat(TargetLimits.of("http://hooks.example.com:8080/")).isEqualTo("http://hooks.example.com:8080");
        assertThat(TargetLimits.of("http://[::1]/")).isEqualTo("http://[::1]:80");
        assertThat(TargetLimits.of("not a url")).isEqualTo(TargetLimits.UNKNOWN);
    }

    @Test
    void aTargetAtItsLimitTakesNoMoreWhileOthersStillDo() {
        assertThat(limits.tryAcquire("a")).isTrue();
        assertThat(limits.tryAcquire("a")).isTrue();
        assertThat(limits.tryAcquire("a")).isFalse();
        assertThat(limits.tryAcquire("b")).isTrue();
        // three in all
        assertThat(limits.tryAcquire("c")).isFalse();
        assertThat(limits.rooms().full()).containsExactly("a");
        limits.release("a");
        assertThat(limits.tryAcquire("c")).isTrue();
        assertThat(limits.inFlight()).isEqualTo(3);
    }

    @Test
    void aWaitingTargetsDeliveriesGoFirstAndEndingAttemptsWakeTheRefill() {
        limits.acquire("a");
        limits.acquire("a");
        limits.waiting("a");
        limits.release("a");
        assertThat(wakes.get()).isEqualTo(2);
        // room again, but a newer delivery must not overtake the waiting ones
        assertThat(limits.tryAcquire("a")).isFalse();
        assertThat(limits.waitingRooms()).isEqualTo(Map.of("a", 1));

        long since = System.nanoTime();
        limits.claimed("a", 1, 1, since);
        assertThat(limits.waitingRooms()).containsOnlyKeys("a");
        limits.claimed("a", 1, 0, since);
        assertThat(limits.waitingRooms()).isEmpty();
        assertThat(limits.tryAcquire("a")).isTrue();
    }

    @Test
    void aDeliveryLeftWaitingDuringAClaimKeepsTheTargetWaiting() {
        long since = System.nanoTime();
        limits.waiting("a");
        limits.claimed("a", 2, 0, since);
        assertThat(limits.waitingRooms()).containsOnlyKeys("a");
    }
}
