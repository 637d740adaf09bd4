package net.driploop.ingest.pipeline;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;

import java.util.List;

/**
 * Writes user events to the outbox with the user's snapshot after the change ({@code ingest.user_snapshot})
 * in their {@code user} field: records whose {@code snapshotOf} is a user id get it.
 */
@ApplicationScoped
public class UserEventOutbox {

    private final OutboxWriter outbox;
    private final String statement;

    public UserEventOutbox(OutboxWriter outbox) {
        this.outbox = outbox;
        this.statement = outbox.insertStatement("LEFT JOIN ingest.users u ON u.id = r.snapshot_of",
                "ingest.user_snapshot(u)::text");
    }

    public Uni<List<StoredRecord>> insert(SqlClient sql, List<OutboxRecord> records) {
        return outbox.insert(sql, statement, records);
    }
}
