package net.driploop.email.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code driploop.email.*}: retry schedule, SMTP timing and Message-ID settings of the email worker. */
@ConfigMapping(prefix = "driploop.email")
public interface EmailConfig {

    /** Waits before each retry after a transient SMTP failure ({@code DRIPLOOP_EMAIL_RETRY_DELAYS}); its length is the number of retries. */
    @WithDefault("PT30S,PT2M,PT10M,PT1H,PT6H")
    List<Duration> retryDelays();

    /** The longest one SMTP attempt may take before it counts as a (transient) timeout. */
    @WithDefault("PT30S")
    Duration sendTimeout();

    /** How long a delivery may stay {@code sending} before the sweep records its outcome as uncertain; well above send-timeout. */
    @WithDefault("PT5M")
    Duration sendingLease();

    /** How long a claimed retry stays leased to the replica that claimed it. */
    @WithDefault("PT2M")
    Duration retryLease();

    /** How often due retries and stale sends are swept. */
    @WithDefault("1s")
    String sweepInterval();

    /** Most retries (and most stale sends) claimed by one sweep. */
    @WithDefault("50")
    int sweepBatch();

    /** The domain of generated Message-IDs; by default that of {@code quarkus.mailer.from}. */
    Optional<String> messageIdDomain();
}
