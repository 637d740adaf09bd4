package net.driploop.ingest.ratelimit;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.config.IngestConfig;

/**
 * Per-key fixed one-minute windows kept in PostgreSQL, so every replica counts against the same window.
 * Taking a unit is one statement (an upsert that returns the new count).
 */
@ApplicationScoped
public class RateLimiter {

    static final long WINDOW_SECONDS = 60;

    private final Pool pool;
    private final int limit;

    public RateLimiter(Pool pool, IngestConfig config) {
        this.pool = pool;
        this.limit = config.rateLimitPerMinute();
    }

    public Uni<RateLimitState> take(String keyId) {
        long now = System.currentTimeMillis() / 1000;
        long windowStart = now - now % WINDOW_SECONDS;
        return pool.preparedQuery("""
                        INSERT INTO ingest.rate_limit_windows (key_id, window_start, count) VALUES ($1, $2, 1)
                        ON CONFLICT (key_id, window_start) DO UPDATE SET count = ingest.rate_limit_windows.count + 1
                        RETURNING count""")
                .execute(Tuple.of(keyId, windowStart))
                .map(rows -> new RateLimitState(limit, rows.iterator().next().getInteger("count"),
                        windowStart + WINDOW_SECONDS, now));
    }

    /** Drops windows that have rolled over. */
    @Scheduled(every = "60s", delayed = "60s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purgeOldWindows() {
        long cutoff = System.currentTimeMillis() / 1000 - 2 * WINDOW_SECONDS;
        return pool.preparedQuery("DELETE FROM ingest.rate_limit_windows WHERE window_start < $1")
                .execute(Tuple.of(cutoff)).replaceWithVoid();
    }
}
