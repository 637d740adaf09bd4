package net.driploop.email.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** The worker's meters: emails sent, failed, skipped (by reason), retries scheduled, retry backlog, send latency. */
@ApplicationScoped
public class DeliveryMetrics {

    private final MeterRegistry registry;
    private final Counter sent;
    private final Counter failed;
    private final Counter retried;
    private final AtomicLong backlog = new AtomicLong();

    public DeliveryMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.sent = Counter.builder("driploop.email.sent").description("Emails accepted by the SMTP server")
                .register(registry);
        this.failed = Counter.builder("driploop.email.failed")
                .description("Emails given up on (permanent failure, retries exhausted, template error, uncertain)")
                .register(registry);
        this.retried = Counter.builder("driploop.email.retries.scheduled")
                .description("Transient SMTP failures scheduled for another attempt").register(registry);
        Gauge.builder("driploop.email.retry.backlog", backlog, AtomicLong::get)
                .description("Emails waiting for a retry").register(registry);
    }

    void sent() {
        sent.increment();
    }

    void failed() {
        failed.increment();
    }

    void retrying() {
        retried.increment();
    }

    void skipped(String reason) {
        Counter.builder("driploop.email.skipped").description("Commands not sent, by reason").tag("reason", reason)
                .register(registry).increment();
    }

    /** Time of one SMTP attempt, by outcome ({@code accepted}, {@code refused}). */
    void sendTime(Duration duration, boolean accepted) {
        Timer.builder("driploop.email.send").description("Duration of one SMTP attempt")
                .tag("outcome", accepted ? "accepted" : "refused").publishPercentileHistogram()
                .register(registry).record(duration);
    }

    /** Sets the retry backlog (from the sweep's count). */
    public void retryBacklog(long rows) {
        backlog.set(rows);
    }
}
