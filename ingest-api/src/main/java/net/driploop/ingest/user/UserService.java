package net.driploop.ingest.user;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.kit.http.ApiException;
import net.driploop.kit.http.JsonCodec;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.ingest.pipeline.UserEventOutbox;
import net.driploop.ingest.pipeline.CallContext;
import net.driploop.ingest.pipeline.Operation;
import net.driploop.model.EventTypes;
import net.driploop.model.Ids;
import net.driploop.model.event.UserDeleted;
import net.driploop.model.event.UserMetadataUpdated;
import net.driploop.model.event.UserRegistered;
import net.driploop.model.event.UserSnapshot;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Registering, updating and deleting tracked users; each change writes its events in the same transaction. */
@ApplicationScoped
public class UserService {

    static final String DELETE_POLICY_DELETE = "delete";

    private final UserEventOutbox outbox;
    private final JsonCodec json;
    private final int maxMetadataKeys;

    public UserService(UserEventOutbox outbox, JsonCodec json, IngestConfig config) {
        this.outbox = outbox;
        this.json = json;
        this.maxMetadataKeys = config.limits().metadataKeys();
    }

    /** The response of POST /users. */
    public record RegisteredUser(String id, String externalUserId, String email, String status, boolean created) {
    }

    /** The response of PATCH /users/{id}/metadata: the user's metadata after the merge. */
    public record UpdatedMetadata(String externalUserId, Map<String, Object> metadata) {
    }

    /** The response of DELETE /users/{id}. */
    public record DeletedUser(String externalUserId, boolean deleted, boolean deactivated) {
    }

    /** POST /users: create, or update (re-activating a deactivated user). */
    public Operation register(String externalUserId, String email, Map<String, Object> metadata) {
        return (sql, ctx) -> {
            OffsetDateTime now = at(ctx);
            String metadataJson = json.write(metadata == null ? Map.of() : metadata);
            return sql.preparedQuery("""
                            INSERT INTO ingest.users (id, app_id, external_user_id, email, metadata, status, created_at, updated_at)
                            VALUES ($1, $2, $3, $4, $5::text::jsonb, 'active', $6, $6)
                            ON CONFLICT (app_id, external_user_id) DO NOTHING
                            RETURNING id, email, status""")
                    .execute(Tuple.of(Ids.newId(Ids.USER), ctx.appId(), externalUserId, email, metadataJson, now))
                    .flatMap(inserted -> {
                        if (inserted.size() > 0) {
                            Row row = inserted.iterator().next();
                            String id = row.getString("id");
                            OutboxRecord event = ctx.event(EventTypes.USER_REGISTERED, externalUserId,
                                    new UserRegistered(ctx.appId(), externalUserId, null, false, ctx.now()), id);
                            return finish(sql, ctx, 201, externalUserId, List.of(event),
                                    new RegisteredUser(id, externalUserId, row.getString("email"), row.getString("status"), true));
                        }
                        return updateExisting(sql, ctx, now, externalUserId, email, metadata, metadataJson);
                    });
        };
    }

    private Uni<Operation.Result> updateExisting(SqlClient sql, CallContext ctx, OffsetDateTime now,
            String externalUserId, String email, Map<String, Object> metadata, String metadataJson) {
        return lockForMerge(sql, ctx, externalUserId, metadataJson, false).flatMap(existing -> {
            Row current = existing.iterator().next();
            boolean wasInactive = UserSnapshot.INACTIVE.equals(current.getString("status"));
            return sql.preparedQuery("""
                            UPDATE ingest.users
                            SET email = COALESCE($2, email), metadata = metadata || $3::text::jsonb,
                                status = 'active', updated_at = $4
                            WHERE id = $1
                            RETURNING id, email, status""")
                    .execute(Tuple.of(current.getString("id"), email, metadataJson, now))
                    .flatMap(updated -> {
                        Row row = updated.iterator().next();
                        String id = row.getString("id");
                        List<OutboxRecord> events = new ArrayList<>();
                        if (wasInactive) {
                            events.add(ctx.event(EventTypes.USER_REGISTERED, externalUserId,
                                    new UserRegistered(ctx.appId(), externalUserId, null, true, ctx.now()), id));
                        } else if (metadata != null && !metadata.isEmpty()) {
                            events.add(ctx.event(EventTypes.USER_METADATA_UPDATED, externalUserId,
                                    new UserMetadataUpdated(ctx.appId(), externalUserId, null, metadata, ctx.now()), id));
                        }
                        return finish(sql, ctx, 200, externalUserId, events,
                                new RegisteredUser(id, externalUserId, row.getString("email"), row.getString("status"), false));
                    });
        });
    }

    /** PATCH /users/{id}/metadata: merge keys into an active user's metadata. */
    public Operation patchMetadata(String externalUserId, Map<String, Object> metadata) {
        return (sql, ctx) -> {
            String metadataJson = json.write(metadata);
            return lockForMerge(sql, ctx, externalUserId, metadataJson, true)
                    .flatMap(existing -> sql.preparedQuery("""
                                    UPDATE ingest.users SET metadata = metadata || $2::text::jsonb, updated_at = $3
                                    WHERE id = $1 RETURNING id, metadata::text AS metadata""")
                            .execute(Tuple.of(existing.iterator().next().getString("id"), metadataJson, at(ctx))))
                    .flatMap(updated -> {
                        Row row = updated.iterator().next();
                        OutboxRecord event = ctx.event(EventTypes.USER_METADATA_UPDATED, externalUserId,
                                new UserMetadataUpdated(ctx.appId(), externalUserId, null, metadata, ctx.now()),
                                row.getString("id"));
                        return finish(sql, ctx, 200, externalUserId, List.of(event),
                                new UpdatedMetadata(externalUserId, json.readMap(row.getString("metadata"))));
                    });
        };
    }

    /** DELETE /users/{id}: delete or deactivate, per the app's delete policy. */
    public Operation delete(String externalUserId) {
        return (sql, ctx) -> sql.preparedQuery("""
                        SELECT u.id, a.delete_policy FROM ingest.users u JOIN ingest.apps a ON a.id = u.app_id
                        WHERE u.app_id = $1 AND u.external_user_id = $2 AND u.status = 'active'
                        FOR UPDATE OF u""")
                .execute(Tuple.of(ctx.appId(), externalUserId))
                .flatMap(found -> {
                    if (found.size() == 0) {
                        throw ApiException.userNotRegistered(externalUserId);
                    }
                    Row row = found.iterator().next();
                    String id = row.getString("id");
                    boolean delete = DELETE_POLICY_DELETE.equals(row.getString("delete_policy"));
                    Uni<RowSet<Row>> change = delete
                            ? sql.preparedQuery("DELETE FROM ingest.activities WHERE user_id = $1").execute(Tuple.of(id))
                                    .flatMap(gone -> sql.preparedQuery("DELETE FROM ingest.users WHERE id = $1")
                                            .execute(Tuple.of(id)))
                            : sql.preparedQuery("UPDATE ingest.users SET status = 'inactive', updated_at = $2 WHERE id = $1")
                                    .execute(Tuple.of(id, at(ctx)));
                    return change.flatMap(done -> {
                        OutboxRecord event = ctx.event(EventTypes.USER_DELETED, externalUserId,
                                new UserDeleted(ctx.appId(), externalUserId, id, delete, !delete, ctx.now()), null);
                        return finish(sql, ctx, 200, externalUserId, List.of(event),
                                new DeletedUser(externalUserId, delete, !delete));
                    });
                });
    }

    /**
     * Locks the user's row and checks that merging {@code metadataJson} keeps it within the key limit.
     * With {@code activeOnly}, an inactive or unknown user is a 404.
     */
    private Uni<RowSet<Row>> lockForMerge(SqlClient sql, CallContext ctx, String externalUserId, String metadataJson,
            boolean activeOnly) {
        return sql.preparedQuery("""
                        SELECT id, status, (SELECT count(*) FROM jsonb_object_keys(metadata || $3::text::jsonb)) AS merged_keys
                        FROM ingest.users WHERE app_id = $1 AND external_user_id = $2
                        """ + (activeOnly ? " AND status = 'active'" : "") + " FOR UPDATE")
                .execute(Tuple.of(ctx.appId(), externalUserId, metadataJson))
                .invoke(rows -> {
                    if (rows.size() == 0) {
                        throw ApiException.userNotRegistered(externalUserId);
                    }
                    if (rows.iterator().next().getLong("merged_keys") > maxMetadataKeys) {
                        throw ApiException.validation(Map.of("metadata",
                                "the user's metadata would have more than " + maxMetadataKeys + " keys"));
                    }
                });
    }

    private Uni<Operation.Result> finish(SqlClient sql, CallContext ctx, int status, String externalUserId,
            List<OutboxRecord> events, Object data) {
        return outbox.insert(sql, ctx.withApiLog(status, externalUserId, events))
                .map(stored -> new Operation.Result(status, data, stored));
    }

    static OffsetDateTime at(CallContext ctx) {
        return OffsetDateTime.ofInstant(ctx.now(), ZoneOffset.UTC);
    }
}
