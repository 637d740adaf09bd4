package net.driploop.ingest.ratelimit;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import net.driploop.ingest.config.IngestConfig;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-key fixed one-minute windows kept in PostgreSQL, so every replica counts against the same window.
 *
 * <p>A replica reserves units from the shared window in chunks and hands them out locally, so a busy key does
 * not cost one upsert on one hot row per request. The chunk starts at one unit and doubles with each
 * reservation in a window, up to {@code limit / 1000} (at least one): a key with a limit below 2,000 per
 * minute is counted one request at a time, exactly as without chunks, and with a higher limit the units a
 * replica holds unused when its window ends are at most 0.1 % of the limit. The shared count is never exceeded:
 * a reservation is granted only what is left of the limit, and once a replica is granted less than it asked
 * for, the window is spent and it refuses the key's calls until the window rolls over.
 */
@ApplicationScoped
public class RateLimiter {

    static final long WINDOW_SECONDS = 60;
    /** The largest chunk is this fraction of the limit. */
    static final int CHUNK_DIVISOR = 1000;

    private final Pool pool;
    private final int limit;
    private final int maxChunk;
    private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

    @Inject
    public RateLimiter(Pool pool, IngestConfig config) {
        this(pool, config.rateLimitPerMinute());
    }

    RateLimiter(Pool pool, int limit) {
        this.pool = pool;
        this.limit = limit;
        this.maxChunk = Math.max(1, limit / CHUNK_DIVISOR);
    }

    /** Takes one unit of the key's current window. */
    public Uni<RateLimitState> take(String keyId) {
        long now = System.currentTimeMillis() / 1000;
        long windowStart = now - now % WINDOW_SECONDS;
        Window window = windows.compute(keyId,
                (key, current) -> current == null || current.start != windowStart ? new Window(windowStart) : current);
        Uni<Void> pending;
        synchronized (window) {
            if (window.used < window.granted) {
                window.used++;
                return Uni.createFrom().item(window.state(now));
            }
            if (window.spent) {
                return Uni.createFrom().item(new RateLimitState(limit, limit + 1L, window.reset(), now));
            }
            if (window.reservation == null) {
                window.reservation = reserve(keyId, window).memoize().indefinitely();
            }
            pending = window.reservation;
        }
        // once the reservation is in, take again: from the new units, or refused if the window is spent
        return pending.chain(() -> take(keyId));
    }

    private Uni<Void> reserve(String keyId, Window window) {
        int chunk;
        synchronized (window) {
            chunk = (int) Math.min(maxChunk, 1L << Math.min(30, window.reservations));
        }
        return pool.preparedQuery("""
                        INSERT INTO ingest.rate_limit_windows (key_id, window_start, count) VALUES ($1, $2, $3)
                        ON CONFLICT (key_id, window_start) DO UPDATE SET count = ingest.rate_limit_windows.count + $3
                        RETURNING count""")
                .execute(Tuple.of(keyId, window.start, chunk))
                .onItemOrFailure().invoke((rows, failure) -> {
                    synchronized (window) {
                        window.reservation = null;
                        if (failure != null) {
                            return;
                        }
                        long count = rows.iterator().next().getInteger("count");
                        // the count may run past the limit (refused reservations add to it); grant what was left
                        long granted = Math.max(0, Math.min(chunk, limit - (count - chunk)));
                        window.granted += granted;
                        window.reservations++;
                        window.seen = Math.min(limit, count);
                        if (granted < chunk) {
                            window.spent = true;
                        }
                    }
                })
                .replaceWithVoid();
    }

    /** Drops windows that have rolled over, here and in PostgreSQL. */
    @Scheduled(every = "60s", delayed = "60s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purgeOldWindows() {
        long now = System.currentTimeMillis() / 1000;
        windows.values().removeIf(window -> window.start + WINDOW_SECONDS <= now);
        long cutoff = now - 2 * WINDOW_SECONDS;
        return pool.preparedQuery("DELETE FROM ingest.rate_limit_windows WHERE window_start < $1")
                .execute(Tuple.of(cutoff)).replaceWithVoid();
    }

    /** What this replica holds of one key's window. Guarded by its own monitor. */
    private final class Window {
        final long start;
        /** Units reserved from the shared window, and how many of them were handed out. */
        long granted;
        long used;
        /** The shared count (capped at the limit) at the last reservation. */
        long seen;
        int reservations;
        boolean spent;
        Uni<Void> reservation;

        Window(long start) {
            this.start = start;
        }

        long reset() {
            return start + WINDOW_SECONDS;
        }

        /**
         * The state after handing out a unit: the shared count as last seen, less the units this replica
         * still holds (exact with one replica; with several, other replicas' unused units count as used).
         */
        RateLimitState state(long now) {
            return new RateLimitState(limit, seen - (granted - used), reset(), now);
        }
    }
}
