package net.driploop.ingest.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** ingest-api settings; each maps to an environment variable, e.g. {@code DRIPLOOP_RATE_LIMIT_PER_MINUTE}. */
@ConfigMapping(prefix = "driploop")
public interface IngestConfig {

    /** Requests per minute that one API key may make (one fixed window shared by all replicas). */
    @WithDefault("120")
    int rateLimitPerMinute();

    /** API-key authentication. */
    Auth auth();

    /** Idempotency-Key handling. */
    Idempotency idempotency();

    /** Bounds on what one request may carry. */
    Limits limits();

    interface Auth {
        /** How long a key lookup (found or not) is cached; a revoked key is refused within this time. */
        @WithDefault("PT2S")
        Duration cacheTtl();
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
