package net.driploop.ingest.outbox;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.ingest.http.JsonCodec;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes outbox rows with one statement, on the connection (and so in the transaction) of the change.
 * New rows are leased to this replica's relay, which sends them right after commit; if it does not, the
 * sweep takes them once the lease runs out.
 */
@ApplicationScoped
public class OutboxWriter {

    /**
     * The select list that turns the unnested columns {@code r(topic, record_key, headers, payload, user_id)}
     * into outbox rows; {@code %s} is the expression of the user row whose snapshot goes into {@code user}.
     */
    public static final String ROW_SELECT = """
            r.topic, r.record_key, r.headers::jsonb,
            CASE WHEN r.user_id IS NULL THEN r.payload
                 ELSE (r.payload::jsonb || jsonb_build_object('user', ingest.user_snapshot(%s)))::text END""";

    private static final String INSERT = """
            INSERT INTO ingest.outbox (topic, record_key, headers, payload, lease_until)
            SELECT %s, $6
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
                 AS r(topic, record_key, headers, payload, user_id, ord)
            LEFT JOIN ingest.users u ON u.id = r.user_id
            ORDER BY r.ord
            RETURNING %s""".formatted(ROW_SELECT.formatted("u"), StoredRecord.COLUMNS);

    private final JsonCodec json;
    private final Duration lease;

    public OutboxWriter(JsonCodec json, IngestConfig config) {
        this.json = json;
        this.lease = config.outbox().lease();
    }

    /** Inserts the records; the returned rows go to {@link OutboxRelay#publish} after commit. */
    public Uni<List<StoredRecord>> insert(SqlClient sql, List<OutboxRecord> records) {
        Columns columns = columns(records);
        return sql.preparedQuery(INSERT)
                .execute(Tuple.of(columns.topics(), columns.keys(), columns.headers(), columns.payloads(),
                        columns.userIds(), leaseUntil()))
                .map(OutboxWriter::stored);
    }

    /** The lease that new rows start with. */
    public OffsetDateTime leaseUntil() {
        return OffsetDateTime.now(ZoneOffset.UTC).plus(lease);
    }

    /** The records as parallel arrays, one per column, for an {@code unnest(...)} insert. */
    public Columns columns(List<OutboxRecord> records) {
        int n = records.size();
        String[] topics = new String[n];
        String[] keys = new String[n];
        String[] headers = new String[n];
        String[] payloads = new String[n];
        String[] userIds = new String[n];
        for (int i = 0; i < n; i++) {
            OutboxRecord record = records.get(i);
            topics[i] = record.topic();
            keys[i] = record.key();
            headers[i] = json.write(record.headers());
            payloads[i] = json.write(record.payload());
            userIds[i] = record.userId();
        }
        return new Columns(topics, keys, headers, payloads, userIds);
    }

    public static List<StoredRecord> stored(Iterable<Row> rows) {
        List<StoredRecord> stored = new ArrayList<>();
        for (Row row : rows) {
            stored.add(StoredRecord.from(row));
        }
        return stored;
    }

    /** Parallel column arrays of outbox records. */
    public record Columns(String[] topics, String[] keys, String[] headers, String[] payloads, String[] userIds) {
    }
}
