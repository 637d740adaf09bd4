package net.driploop.webhook.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Delivery metrics: delivered, failed for good, retries scheduled, the retry backlog, in flight, latency by status. */
@ApplicationScoped
public class DeliveryMetrics {

    private final MeterRegistry registry;
    private final Counter delivered;
    private final Counter failed;
    private final Counter retried;
    private final Counter skipped;
    private final AtomicLong backlog = new AtomicLong();
    private final Map<String, Timer> latency = new ConcurrentHashMap<>();

    public DeliveryMetrics(MeterRegistry registry, TargetLimits limits) {
        this.registry = registry;
        this.delivered = Counter.builder("driploop.webhook.delivered").description("Webhooks answered with 2xx")
                .register(registry);
        this.failed = Counter.builder("driploop.webhook.failed")
                .description("Webhooks given up on (410, refused target, schedule spent)").register(registry);
        this.retried = Counter.builder("driploop.webhook.retries.scheduled")
                .description("Failed attempts with a retry scheduled").register(registry);
        this.skipped = Counter.builder("driploop.webhook.skipped").description("Webhooks of deleted users, not sent")
                .register(registry);
        Gauge.builder("driploop.webhook.retry.backlog", backlog, AtomicLong::get)
                .description("Pending deliveries (due or waiting for a retry)").register(registry);
        Gauge.builder("driploop.webhook.in.flight", limits, TargetLimits::inFlight)
                .description("Attempts in flight on this replica").register(registry);
    }

    void backlog(long pending) {
        backlog.set(pending);
    }

    void attempt(AttemptOutcome outcome) {
        latency.computeIfAbsent(outcome.status() == 0 ? "error" : String.valueOf(outcome.status()),
                status -> Timer.builder("driploop.webhook.latency").description("Time to the receiver's answer, by HTTP status")
                        .tag("status", status).publishPercentileHistogram().register(registry))
                .record(Duration.ofMillis(outcome.latencyMillis()));
    }

    void delivered() {
        delivered.increment();
    }

    void failed() {
        failed.increment();
    }

    void retried() {
        retried.increment();
    }

    void skipped() {
        skipped.increment();
    }
}
