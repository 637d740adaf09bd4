package net.driploop.ingest.idempotency;

import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.auth.ApiKeys;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.ingest.pipeline.Call;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Idempotency-Key storage (as Stripe): a key is claimed in the transaction of the call it guards and
 * stores that call's response, so a retry with the same key and body replays it and changes nothing.
 * A concurrent retry waits on the claim's row lock and then replays. Failed calls store nothing.
 */
@ApplicationScoped
public class IdempotencyStore {

    private final Pool pool;
    private final Duration ttl;

    public IdempotencyStore(Pool pool, IngestConfig config) {
        this.pool = pool;
        this.ttl = config.idempotency().ttl();
    }

    /** What a key already holds. */
    public record Stored(byte[] requestHash, int status, String response) {
    }

    public static byte[] fingerprint(Call call) {
        return ApiKeys.sha256(call.method() + " " + call.path() + "\n" + (call.body() == null ? "" : call.body()));
    }

    /** Claims the key for this call; empty when claimed, else what an earlier call stored. */
    public Uni<Optional<Stored>> claim(SqlClient sql, String appId, String key, byte[] hash, Instant now) {
        OffsetDateTime at = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        return sql.preparedQuery("""
                        INSERT INTO ingest.idempotency_keys (app_id, idempotency_key, request_hash, status, response, created_at)
                        VALUES ($1, $2, $3, 0, '', $4)
                        ON CONFLICT (app_id, idempotency_key) DO UPDATE
                            SET request_hash = EXCLUDED.request_hash, status = 0, response = '', created_at = EXCLUDED.created_at
                            WHERE ingest.idempotency_keys.created_at < $5
                        RETURNING 1""")
                .execute(Tuple.of(appId, key, Buffer.buffer(hash), at, at.minus(ttl)))
                .flatMap(rows -> rows.size() > 0 ? Uni.createFrom().item(Optional.<Stored>empty())
                        : sql.preparedQuery("""
                                SELECT request_hash, status, response FROM ingest.idempotency_keys
                                WHERE app_id = $1 AND idempotency_key = $2""")
                                .execute(Tuple.of(appId, key))
                                .map(found -> {
                                    Row row = found.iterator().next();
                                    return Optional.of(new Stored(row.getBuffer("request_hash").getBytes(),
                                            row.getInteger("status"), row.getString("response")));
                                }));
    }

    /** Stores the response of the call that claimed the key. */
    public Uni<Void> store(SqlClient sql, String appId, String key, int status, String response) {
        return sql.preparedQuery("""
                        UPDATE ingest.idempotency_keys SET status = $3, response = $4
                        WHERE app_id = $1 AND idempotency_key = $2""")
                .execute(Tuple.of(appId, key, status, response))
                .replaceWithVoid();
    }

    @Scheduled(every = "10m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> purgeExpired() {
        return pool.preparedQuery("DELETE FROM ingest.idempotency_keys WHERE created_at < $1")
                .execute(Tuple.of(OffsetDateTime.now(ZoneOffset.UTC).minus(ttl)))
                .replaceWithVoid();
    }
}
