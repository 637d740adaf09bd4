package net.driploop.ingest.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.kit.http.ApiException;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Resolves the API key of a request ({@code Authorization: Bearer …} or {@code x-api-key}) to its app.
 * Lookups are by SHA-256 and cached briefly (found and not found alike), so a revoked key is refused on
 * every replica once the cache entry expires.
 */
@ApplicationScoped
public class ApiKeyAuthenticator {

    private final Pool pool;
    private final Cache<ByteBuffer, Optional<Caller>> cache;

    public ApiKeyAuthenticator(Pool pool, IngestConfig config) {
        this.pool = pool;
        this.cache = Caffeine.newBuilder()
                .expireAfterWrite(config.auth().cacheTtl())
                .maximumSize(100_000)
                .build();
    }

    /** The caller, or a failed Uni with 401 {@code unauthorized}. */
    public Uni<Caller> authenticate(String authorization, String apiKeyHeader) {
        String key = presentedKey(authorization, apiKeyHeader);
        if (!ApiKeys.wellFormed(key)) {
            return Uni.createFrom().failure(ApiException.unauthorized());
        }
        byte[] hash = ApiKeys.sha256(key);
        ByteBuffer cacheKey = ByteBuffer.wrap(hash);
        Optional<Caller> cached = cache.getIfPresent(cacheKey);
        Uni<Optional<Caller>> lookup = cached != null ? Uni.createFrom().item(cached) : load(hash)
                .invoke(found -> cache.put(cacheKey, found));
        return lookup.map(found -> found.orElseThrow(ApiException::unauthorized));
    }

    /** Forgets cached lookups (after a revocation on this replica). */
    public void invalidateAll() {
        cache.invalidateAll();
    }

    private Uni<Optional<Caller>> load(byte[] hash) {
        return pool.preparedQuery("SELECT id, app_id, key_hash FROM ingest.api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                .execute(Tuple.of(Buffer.buffer(hash)))
                .map(rows -> {
                    for (Row row : rows) {
                        if (MessageDigest.isEqual(hash, row.getBuffer("key_hash").getBytes())) {
                            return Optional.of(new Caller(row.getString("app_id"), row.getString("id")));
                        }
                    }
                    return Optional.empty();
                });
    }

    static String presentedKey(String authorization, String apiKeyHeader) {
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return apiKeyHeader == null ? null : apiKeyHeader.trim();
    }

    static String hex(byte[] hash) {
        return HexFormat.of().formatHex(hash);
    }
}
