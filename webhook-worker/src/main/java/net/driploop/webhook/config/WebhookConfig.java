package net.driploop.webhook.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Delivery, signing and SSRF settings of the webhook worker ({@code DRIPLOOP_WEBHOOK_*}). */
@ConfigMapping(prefix = "driploop.webhook")
public interface WebhookConfig {

    /** Base64 of the 32-byte AES key that encrypts signing secrets at rest; required outside dev and test. */
    Optional<String> secretKey();

    /** Lifts the SSRF guard (loopback, private, link-local… targets allowed), for local use only. */
    @WithDefault("false")
    boolean allowPrivateTargets();

    /** Delays between attempts (ISO-8601); their count is the number of retries before the DLQ. */
    @WithDefault("PT5S,PT5M,PT30M,PT2H,PT5H,PT10H,PT10H")
    List<Duration> retryDelays();

    /** How long the previous secret keeps signing after a rotation. */
    @WithDefault("PT24H")
    Duration rotationOverlap();

    /** Longest wait for a TCP (and TLS) connection to a target. */
    @WithDefault("PT5S")
    Duration connectTimeout();

    /** Longest wait for a target's response once the request is sent. */
    @WithDefault("PT10S")
    Duration responseTimeout();

    /** Longest Retry-After honoured; a longer one is cut to this. */
    @WithDefault("PT24H")
    Duration maxRetryAfter();

    /** How often the retry sweep looks for due deliveries (a Quarkus scheduler period). */
    @WithDefault("1s")
    String sweepInterval();

    /** Most due deliveries one sweep claims; a sweep that fills it claims again at once. */
    @WithDefault("500")
    int sweepBatch();

    /**
     * A PEM file of certificates that receivers' TLS certificates must chain to, instead of the JVM's trust store
     * (receivers behind a private CA); unset: the JVM's trust store.
     */
    Optional<String> trustCertificates();

    /** Most requests in flight per replica; past it new deliveries wait for the sweep. */
    @WithDefault("2000")
    int maxInFlight();

    /**
     * Most requests in flight per replica to one target (scheme, host and port), and so connections to it; past it
     * the target's deliveries wait for the sweep, while other targets' go on.
     */
    @WithDefault("100")
    int maxPerTarget();

    /** How long an app's signing secrets are kept in memory; a rotation on another replica shows after at most this. */
    @WithDefault("PT5S")
    Duration secretCacheTtl();
}
