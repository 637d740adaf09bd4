package net.driploop.email.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code driploop.email.*}: retry schedule, SMTP timing, concurrency and Message-ID settings of the email worker. */
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

    /**
     * Most users whose commands of one polled batch are delivered at once, per consumer (each user's commands
     * stay in order). With {@code mp.messaging.incoming.email-commands.concurrency} consumers, a replica has up
     * to that many times this in flight; at most {@code quarkus.mailer.max-pool-size} of them talk SMTP at once
     * ({@code SendSlots}), the others wait for a connection or are in a ledger batch.
     */
    @WithDefault("256")
    int concurrency();

    /** The domain of generated Message-IDs; by default that of {@code quarkus.mailer.from}. */
    Optional<String> messageIdDomain();
}
