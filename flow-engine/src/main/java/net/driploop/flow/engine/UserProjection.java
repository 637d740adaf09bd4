package net.driploop.flow.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.model.event.UserSnapshot;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;

/** The engine's copy of each user ({@code flow.users}), kept from the snapshots that events carry. */
@ApplicationScoped
class UserProjection {

    private static final String RETURNED = "app_id, external_user_id, email, status, metadata::text AS metadata, "
            + "last_purchase::text AS last_purchase";

    private final ObjectMapper mapper;

    UserProjection(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** A user's state after an event, and whether the event changed what conditions see. */
    record Projected(UserState state, boolean changed) {
    }

    /**
     * Stores the snapshot (and the purchase, when the event records one) and returns the new state. A snapshot
     * that changes nothing conditions or templates see (email, metadata, status, last purchase, user id) leaves the
     * row as it is ({@code updated_at} is the time of the last event that changed it) and is returned as unchanged.
     */
    Uni<Projected> apply(SqlClient sql, String appId, UserSnapshot user, Object purchase, Instant at) {
        Map<String, Object> metadata = user.metadata() == null ? Map.of() : user.metadata();
        return sql.preparedQuery("""
                        WITH changed AS (
                            INSERT INTO flow.users AS u (app_id, external_user_id, user_id, email, metadata, status,
                                                         last_purchase, updated_at)
                            VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7::text::jsonb, $8)
                            ON CONFLICT (app_id, external_user_id) DO UPDATE
                            SET user_id = EXCLUDED.user_id, email = EXCLUDED.email, metadata = EXCLUDED.metadata,
                                status = EXCLUDED.status, last_purchase = COALESCE(EXCLUDED.last_purchase, u.last_purchase),
                                updated_at = EXCLUDED.updated_at
                            WHERE (u.user_id, u.email, u.metadata, u.status, u.last_purchase) IS DISTINCT FROM
                                  (EXCLUDED.user_id, EXCLUDED.email, EXCLUDED.metadata, EXCLUDED.status,
                                   COALESCE(EXCLUDED.last_purchase, u.last_purchase))
                            RETURNING %1$s, true AS changed)
                        SELECT * FROM changed
                        UNION ALL
                        SELECT %1$s, false FROM flow.users
                        WHERE app_id = $1 AND external_user_id = $2 AND NOT EXISTS (SELECT 1 FROM changed)
                        """.formatted(RETURNED))
                .execute(Sql.params(appId, user.externalUserId(), user.id(), user.email(), write(metadata),
                        user.status() == null ? UserSnapshot.ACTIVE : user.status(),
                        purchase == null ? null : write(purchase),
                        OffsetDateTime.ofInstant(at == null ? Instant.now() : at, ZoneOffset.UTC)))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    return new Projected(state(row), row.getBoolean("changed"));
                });
    }

    /** The stored state of a user; a user the engine does not know (or no longer knows) has no email and no metadata. */
    Uni<UserState> load(SqlClient sql, String appId, String externalUserId) {
        return sql.preparedQuery("SELECT " + RETURNED + " FROM flow.users WHERE app_id = $1 AND external_user_id = $2")
                .execute(Sql.params(appId, externalUserId))
                .map(rows -> rows.size() == 0 ? unknown(appId, externalUserId) : state(rows.iterator().next()));
    }

    /**
     * The user columns, prefixed {@code user_}, of a query that joins {@code flow.users u} (left join: a missing
     * user reads as unknown), for {@link #joined}.
     */
    static final String JOINED_COLUMNS = "u.external_user_id AS user_known, u.email AS user_email, "
            + "u.status AS user_status, u.metadata::text AS user_metadata, u.last_purchase::text AS user_last_purchase";

    /** The state of the user read with {@link #JOINED_COLUMNS}; as {@link #load} for a user the engine does not know. */
    UserState joined(Row row, String appId, String externalUserId) {
        if (row.getString("user_known") == null) {
            return unknown(appId, externalUserId);
        }
        JsonNode metadata = read(row.getString("user_metadata"));
        return new UserState(appId, externalUserId, row.getString("user_email"), row.getString("user_status"),
                metadata instanceof ObjectNode object ? object : mapper.createObjectNode(),
                read(row.getString("user_last_purchase")));
    }

    private UserState unknown(String appId, String externalUserId) {
        return new UserState(appId, externalUserId, null, "unknown", mapper.createObjectNode(), null);
    }

    /** Forgets a deleted user, or marks a deactivated one inactive. */
    Uni<RowSet<Row>> remove(SqlClient sql, String appId, String externalUserId, boolean deleted) {
        return deleted
                ? sql.preparedQuery("DELETE FROM flow.users WHERE app_id = $1 AND external_user_id = $2")
                        .execute(Sql.params(appId, externalUserId))
                : sql.preparedQuery("UPDATE flow.users SET status = 'inactive', updated_at = now() "
                        + "WHERE app_id = $1 AND external_user_id = $2").execute(Sql.params(appId, externalUserId));
    }

    private UserState state(Row row) {
        JsonNode metadata = read(row.getString("metadata"));
        return new UserState(row.getString("app_id"), row.getString("external_user_id"), row.getString("email"),
                row.getString("status"), metadata instanceof ObjectNode object ? object : mapper.createObjectNode(),
                read(row.getString("last_purchase")));
    }

    private String write(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode read(String json) {
        try {
            return json == null ? null : mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
