package net.driploop.ingest.ratelimit;

import io.vertx.core.MultiMap;

/** A key's fixed window after taking one unit from it. */
public record RateLimitState(int limit, long used, long resetEpochSecond, long nowEpochSecond) {

    public boolean allowed() {
        return used <= limit;
    }

    public long remaining() {
        return Math.max(0, limit - used);
    }

    public long retryAfterSeconds() {
        return Math.max(1, resetEpochSecond - nowEpochSecond);
    }

    public void writeHeaders(MultiMap headers) {
        headers.set("X-RateLimit-Limit", Integer.toString(limit));
        headers.set("X-RateLimit-Remaining", Long.toString(remaining()));
        headers.set("X-RateLimit-Reset", Long.toString(resetEpochSecond));
        if (!allowed()) {
            headers.set("Retry-After", Long.toString(retryAfterSeconds()));
        }
    }
}
