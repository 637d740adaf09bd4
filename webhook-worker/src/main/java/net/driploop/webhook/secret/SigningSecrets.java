package net.driploop.webhook.secret;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.webhook.config.WebhookConfig;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each app's signing secret ({@code webhook.app_secrets}), created on first use and stored encrypted. After a
 * rotation the previous secret keeps signing, beside the new one, for {@code driploop.webhook.rotation-overlap}.
 */
@ApplicationScoped
public class SigningSecrets {

    private static final String SELECT = "SELECT secret, previous_secret, previous_until FROM webhook.app_secrets "
            + "WHERE app_id = $1";
    private static final String CREATE = "INSERT INTO webhook.app_secrets (app_id, secret, created_at) "
            + "VALUES ($1, $2, $3) ON CONFLICT (app_id) DO NOTHING";
    /** The row lock makes concurrent rotations serial: each one's "previous" is the secret it replaced. */
    private static final String LOCK = "SELECT secret FROM webhook.app_secrets WHERE app_id = $1 FOR UPDATE";
    private static final String ROTATE = "UPDATE webhook.app_secrets SET secret = $2, previous_secret = $3, "
            + "previous_until = $4, rotated_at = $5 WHERE app_id = $1";

    private final Pool pool;
    private final SecretCipher cipher;
    private final WebhookConfig config;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** An app's signing secrets, decrypted, and until when they may be used without reading them again. */
    private record Cached(List<String> secrets, long untilNanos) {
    }

    public SigningSecrets(Pool pool, SecretCipher cipher, WebhookConfig config) {
        this.pool = pool;
        this.cipher = cipher;
        this.config = config;
    }

    /** The app's current secret, created if it has none yet. */
    public Uni<String> current(String appId) {
        return signing(appId).map(secrets -> secrets.get(0));
    }

    /**
     * The secrets that sign the app's requests now: the current one first, then the previous one during rotation.
     * Kept in memory for {@code driploop.webhook.secret-cache-ttl}; a rotation on this replica shows at once.
     */
    public Uni<List<String>> signing(String appId) {
        Cached cached = cache.get(appId);
        if (cached != null && cached.untilNanos() - System.nanoTime() > 0) {
            return Uni.createFrom().item(cached.secrets());
        }
        long until = System.nanoTime() + config.secretCacheTtl().toNanos();
        return pool.preparedQuery(SELECT).execute(Tuple.of(appId)).flatMap(rows -> rows.size() > 0
                        ? Uni.createFrom().item(secrets(appId, rows.iterator().next()))
                        : create(appId))
                .invoke(secrets -> cache.put(appId, new Cached(secrets, until)));
    }

    /** Replaces the app's secret with a new one (creating the app's first if needed); the old one signs for the overlap. */
    public Uni<String> rotate(String appId) {
        return current(appId).flatMap(ignored -> pool.withTransaction(conn -> conn.preparedQuery(LOCK)
                .execute(Tuple.of(appId))
                .flatMap(rows -> {
                    Buffer previous = rows.iterator().next().getBuffer("secret");
                    String fresh = WebhookSigner.newSecret();
                    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                    return conn.preparedQuery(ROTATE).execute(Tuple.of(appId, io.vertx.core.buffer.Buffer.buffer(cipher.encrypt(appId, fresh)),
                                    previous.getDelegate(), now.plus(config.rotationOverlap()), now))
                            .replaceWith(fresh);
                }))).invoke(() -> cache.remove(appId));
    }

    private Uni<List<String>> create(String appId) {
        String fresh = WebhookSigner.newSecret();
        return pool.preparedQuery(CREATE)
                .execute(Tuple.of(appId, io.vertx.core.buffer.Buffer.buffer(cipher.encrypt(appId, fresh)), OffsetDateTime.now(ZoneOffset.UTC)))
                // a concurrent first use may have won: read whatever is stored
                .flatMap(ignored -> pool.preparedQuery(SELECT).execute(Tuple.of(appId)))
                .map(rows -> secrets(appId, rows.iterator().next()));
    }

    private List<String> secrets(String appId, Row row) {
        List<String> secrets = new ArrayList<>(2);
        secrets.add(cipher.decrypt(appId, row.getBuffer("secret").getBytes()));
        OffsetDateTime until = row.getOffsetDateTime("previous_until");
        if (row.getBuffer("previous_secret") != null && until != null && until.toInstant().isAfter(Instant.now())) {
            secrets.add(cipher.decrypt(appId, row.getBuffer("previous_secret").getBytes()));
        }
        return secrets;
    }
}
