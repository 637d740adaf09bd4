package net.driploop.ingest.app;

import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.auth.ApiKeys;
import net.driploop.model.Ids;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Apps and their API keys. */
@ApplicationScoped
public class AppRepository {

    private static final String APP_COLUMNS = "id, name, delete_policy, created_at";
    private static final String KEY_COLUMNS = "id, name, prefix, created_at, revoked_at";

    private final Pool pool;

    public AppRepository(Pool pool) {
        this.pool = pool;
    }

    /** An app as the admin API shows it. */
    public record App(String id, String name, String deletePolicy, Instant createdAt) {
    }

    /** A key as listed: never its secret. */
    public record KeyInfo(String id, String name, String prefix, Instant createdAt, Instant revokedAt) {
    }

    /** A key just created: the only time its secret is shown. */
    public record CreatedKey(String id, String name, String key, String prefix, Instant createdAt) {
    }

    public Uni<App> create(String name, String deletePolicy, Instant now) {
        return pool.preparedQuery("INSERT INTO ingest.apps (id, name, delete_policy, created_at, updated_at) "
                        + "VALUES ($1, $2, $3, $4, $4) RETURNING " + APP_COLUMNS)
                .execute(Tuple.of(Ids.newId(Ids.APP), name, deletePolicy, utc(now)))
                .map(rows -> app(rows.iterator().next()));
    }

    public Uni<List<App>> list() {
        return pool.query("SELECT " + APP_COLUMNS + " FROM ingest.apps ORDER BY created_at, id").execute()
                .map(rows -> all(rows, AppRepository::app));
    }

    public Uni<Optional<App>> find(String appId) {
        return pool.preparedQuery("SELECT " + APP_COLUMNS + " FROM ingest.apps WHERE id = $1")
                .execute(Tuple.of(appId))
                .map(rows -> first(rows, AppRepository::app));
    }

    /** Changes the given fields (null = keep). */
    public Uni<Optional<App>> update(String appId, String name, String deletePolicy, Instant now) {
        return pool.preparedQuery("UPDATE ingest.apps SET name = COALESCE($2, name), "
                        + "delete_policy = COALESCE($3, delete_policy), updated_at = $4 WHERE id = $1 RETURNING "
                        + APP_COLUMNS)
                .execute(Tuple.of(appId, name, deletePolicy, utc(now)))
                .map(rows -> first(rows, AppRepository::app));
    }

    public Uni<CreatedKey> createKey(String appId, String name, Instant now) {
        String key = ApiKeys.generate();
        String prefix = ApiKeys.displayPrefix(key);
        return pool.preparedQuery("INSERT INTO ingest.api_keys (id, app_id, name, prefix, key_hash, created_at) "
                        + "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at")
                .execute(Tuple.of(Ids.newId(Ids.API_KEY), appId, name, prefix, Buffer.buffer(ApiKeys.sha256(key)),
                        utc(now)))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new CreatedKey(row.getString("id"), name, key, prefix,
                            row.getOffsetDateTime("created_at").toInstant());
                });
    }

    public Uni<List<KeyInfo>> keys(String appId) {
        return pool.preparedQuery("SELECT " + KEY_COLUMNS + " FROM ingest.api_keys WHERE app_id = $1 "
                        + "ORDER BY created_at, id")
                .execute(Tuple.of(appId))
                .map(rows -> all(rows, AppRepository::key));
    }

    /** Revokes a key (a second revocation keeps the first time). */
    public Uni<Optional<KeyInfo>> revokeKey(String appId, String keyId, Instant now) {
        return pool.preparedQuery("UPDATE ingest.api_keys SET revoked_at = COALESCE(revoked_at, $3) "
                        + "WHERE app_id = $1 AND id = $2 RETURNING " + KEY_COLUMNS)
                .execute(Tuple.of(appId, keyId, utc(now)))
                .map(rows -> first(rows, AppRepository::key));
    }

    private static App app(Row row) {
        return new App(row.getString("id"), row.getString("name"), row.getString("delete_policy"),
                row.getOffsetDateTime("created_at").toInstant());
    }

    private static KeyInfo key(Row row) {
        OffsetDateTime revoked = row.getOffsetDateTime("revoked_at");
        return new KeyInfo(row.getString("id"), row.getString("name"), row.getString("prefix"),
                row.getOffsetDateTime("created_at").toInstant(), revoked == null ? null : revoked.toInstant());
    }

    private static <T> List<T> all(RowSet<Row> rows, Function<Row, T> mapper) {
        List<T> out = new ArrayList<>();
        rows.forEach(row -> out.add(mapper.apply(row)));
        return out;
    }

    private static <T> Optional<T> first(RowSet<Row> rows, Function<Row, T> mapper) {
        return rows.size() == 0 ? Optional.empty() : Optional.of(mapper.apply(rows.iterator().next()));
    }

    private static OffsetDateTime utc(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
