package net.driploop.kit.outbox;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.config.OutboxConfig;
import net.driploop.kit.http.JsonCodec;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes outbox rows with one statement, on the connection (and so in the transaction) of the change.
 * New rows are leased to this replica's relay, which sends them right after commit; if it does not, the
 * sweep takes them once the lease runs out. The outbox table has the columns of {@link #insertInto()}
 * plus {@code id bigint identity}, {@code created_at} and {@code headers} (extra Kafka headers as a JSON object).
 */
@ApplicationScoped
public class OutboxWriter {

    /** How many column arrays {@link #addColumns} binds, in the order of {@link #unnest}'s parameters. */
    public static final int COLUMN_COUNT = 9;

    private final JsonCodec json;
    private final Duration lease;
    private final String table;
    private final String plainInsert;

    public OutboxWriter(JsonCodec json, OutboxConfig config) {
        this.json = json;
        this.lease = config.lease();
        this.table = config.table();
        this.plainInsert = "INSERT INTO " + table + " (topic, record_key, ce_id, ce_type, ce_time, ce_subject, "
                + "correlation_id, payload, lease_until, headers)\nSELECT " + rowSelect("NULL") + ", $10, h.headers\nFROM "
                + unnest(1) + "\nJOIN unnest($11::text[]) WITH ORDINALITY AS h(headers, ord) ON h.ord = r.ord"
                + "\nORDER BY r.ord\nRETURNING " + StoredRecord.COLUMNS;
    }

    /** The schema-qualified outbox table. */
    public String table() {
        return table;
    }

    /** {@code INSERT INTO <table> (…)}: the head of an outbox insert. */
    public String insertInto() {
        return "INSERT INTO " + table
                + " (topic, record_key, ce_id, ce_type, ce_time, ce_subject, correlation_id, payload, lease_until)";
    }

    /**
     * The unnested rows {@code r(topic, …, payload, snapshot_of, ord)} of the {@link #COLUMN_COUNT} column arrays
     * bound from parameter {@code $first} on.
     */
    public static String unnest(int first) {
        StringBuilder params = new StringBuilder();
        for (int i = 0; i < COLUMN_COUNT; i++) {
            params.append(i == 0 ? "" : ", ").append('$').append(first + i).append("::text[]");
        }
        return "unnest(" + params + ") WITH ORDINALITY AS r(topic, record_key, ce_id, ce_type, ce_time, ce_subject, "
                + "correlation_id, payload, snapshot_of, ord)";
    }

    /**
     * The select list that turns unnested rows into outbox rows (all but {@code lease_until}); rows with a
     * {@code snapshot_of} get the SQL text expression {@code snapshot} as their {@code user}. Plain text
     * replacement is exact: {@code "user":null} can only stand at the payload's top level, since a quote inside
     * a JSON string is escaped.
     */
    public static String rowSelect(String snapshot) {
        return "r.topic, r.record_key, r.ce_id, r.ce_type, r.ce_time, r.ce_subject, r.correlation_id, "
                + "CASE WHEN r.snapshot_of IS NULL THEN r.payload ELSE replace(r.payload, '\"user\":null', '\"user\":' || "
                + snapshot + ") END";
    }

    /**
     * An insert of the records bound by {@link #addColumns} from {@code $1} (lease at {@code $10}), where
     * {@code join} joins the row {@code snapshot} is read from, e.g.
     * {@code LEFT JOIN ingest.users u ON u.id = r.snapshot_of}.
     */
    public String insertStatement(String join, String snapshot) {
        return insertInto() + "\nSELECT " + rowSelect(snapshot) + ", $10\nFROM " + unnest(1) + "\n" + join
                + "\nORDER BY r.ord\nRETURNING " + StoredRecord.COLUMNS;
    }

    /** Inserts records whose payloads are complete, with their extra headers; the rows returned go to the relay after commit. */
    public Uni<List<StoredRecord>> insert(SqlClient sql, List<OutboxRecord> records) {
        String[] headers = new String[records.size()];
        for (int i = 0; i < headers.length; i++) {
            Map<String, String> extra = records.get(i).headers();
            headers[i] = extra.isEmpty() ? null : json.write(extra);
        }
        return sql.preparedQuery(plainInsert)
                .execute(addColumns(Tuple.tuple(), records).addValue(leaseUntil()).addArrayOfString(headers))
                .map(OutboxWriter::stored);
    }

    /**
     * Inserts records with a statement from {@link #insertStatement}; the rows returned go to the relay after commit.
     * Such a statement writes no extra headers: records that carry some go through {@link #insert(SqlClient, List)}.
     */
    public Uni<List<StoredRecord>> insert(SqlClient sql, String statement, List<OutboxRecord> records) {
        if (records.stream().anyMatch(record -> !record.headers().isEmpty())) {
            throw new IllegalArgumentException("records with extra headers are written by insert(sql, records)");
        }
        return sql.preparedQuery(statement)
                .execute(addColumns(Tuple.tuple(), records).addValue(leaseUntil()))
                .map(OutboxWriter::stored);
    }

    /** The lease that new rows start with. */
    public OffsetDateTime leaseUntil() {
        return OffsetDateTime.now(ZoneOffset.UTC).plus(lease);
    }

    /**
     * Adds the records to {@code tuple} as {@link #COLUMN_COUNT} parallel arrays, one per column (not their extra
     * headers: see {@link #insert(SqlClient, List)}).
     */
    public Tuple addColumns(Tuple tuple, List<OutboxRecord> records) {
        int n = records.size();
        String[][] columns = new String[COLUMN_COUNT][n];
        for (int i = 0; i < n; i++) {
            OutboxRecord record = records.get(i);
            columns[0][i] = record.topic();
            columns[1][i] = record.key();
            columns[2][i] = record.id();
            columns[3][i] = record.type();
            columns[4][i] = record.formattedTime();
            columns[5][i] = record.subject();
            columns[6][i] = record.correlationId();
            columns[7][i] = json.write(record.payload());
            columns[8][i] = record.snapshotOf();
        }
        for (String[] column : columns) {
            tuple.addArrayOfString(column);
        }
        return tuple;
    }

    public static List<StoredRecord> stored(Iterable<Row> rows) {
        List<StoredRecord> stored = new ArrayList<>();
        for (Row row : rows) {
            stored.add(StoredRecord.from(row));
        }
        return stored;
    }
}
