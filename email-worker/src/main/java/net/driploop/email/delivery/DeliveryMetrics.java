package net.driploop.email.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The worker's meters: emails sent, failed, skipped (by reason), retries scheduled, retry backlog, send latency. */
@ApplicationScoped
public class DeliveryMetrics {

    private final MeterRegistry registry;
    private final Counter sent;
    private final Counter failed;
    private final Counter retried;
    private final AtomicLong backlog = new AtomicLong();
    private final Map<String, Counter> skipped = new ConcurrentHashMap<>();
    private final Timer sendAccepted;
    private final Timer sendRefused;

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
        this.sendAccepted = sendTimer("accepted");
        this.sendRefused = sendTimer("refused");
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
        skipped.computeIfAbsent(reason, r -> Counter.builder("driploop.email.skipped")
                .description("Commands not sent, by reason").tag("reason", r).register(registry)).increment();
    }

    /** Time of one SMTP attempt, by outcome ({@code accepted}, {@code refused}). */
    void sendTime(Duration duration, boolean accepted) {
        (accepted ? sendAccepted : sendRefused).record(duration);
    }

    private Timer sendTimer(String outcome) {
        return Timer.builder("driploop.email.send").description("Duration of one SMTP attempt")
                .tag("outcome", outcome).publishPercentileHistogram().register(registry);
    }

    /** Sets the retry backlog (from the sweep's count). */
    public void retryBacklog(long rows) {
        backlog.set(rows);
    }
}
