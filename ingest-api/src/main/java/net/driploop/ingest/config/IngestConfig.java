package net.driploop.ingest.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** ingest-api settings; each maps to an environment variable, e.g. {@code DRIPLOOP_RATE_LIMIT_PER_MINUTE}. */
@ConfigMapping(prefix = "driploop")
public interface IngestConfig {

    /** Bearer token of the admin API; without one the admin API refuses every call. */
    Optional<String> adminToken();

    /** Requests per minute that one API key may make (one fixed window shared by all replicas). */
    @WithDefault("120")
    int rateLimitPerMinute();

    /** API-key authentication. */
    Auth auth();

    /** Transactional outbox and its relay to Kafka. */
    Outbox outbox();

    /** Idempotency-Key handling. */
    Idempotency idempotency();

    /** Bounds on what one request may carry. */
    Limits limits();

    interface Auth {
        /** How long a key lookup (found or not) is cached; a revoked key is refused within this time. */
        @WithDefault("PT2S")
        Duration cacheTtl();
    }

    interface Outbox {
        /** How long a relay owns a row it is sending before another relay may send it. */
        @WithDefault("PT30S")
        Duration lease();

        /** How often the sweep looks for rows whose lease ran out (a Quarkus scheduler period, e.g. 1s). */
        @WithDefault("1s")
        String sweepInterval();

        /**
         * How long the producer tries to deliver a row before giving it back to the sweep; must stay well
         * inside {@link #lease()}.
         */
        @WithDefault("PT12S")
        Duration sendTimeout();

        /** Most rows claimed by one sweep. */
        @WithDefault("1000")
        int sweepBatch();

        /** Most rows waiting in memory for the relay; past it rows wait for the sweep. */
        @WithDefault("50000")
        int queueCapacity();
    }

    interface Idempotency {
        /** How long a stored response is replayed for its Idempotency-Key. */
        @WithDefault("PT24H")
        Duration ttl();
    }

    interface Limits {
        /** Most metadata keys one user (or one activity) may hold. */
        @WithDefault("100")
        int metadataKeys();

        /** Longest metadata key. */
        @WithDefault("100")
        int metadataKeyLength();

        /** Longest metadata string value. */
        @WithDefault("1000")
        int metadataValueLength();
    }
}
