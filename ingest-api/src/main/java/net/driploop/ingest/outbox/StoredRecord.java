package net.driploop.ingest.outbox;

import io.vertx.mutiny.sqlclient.Row;

/** An outbox row as written: what the relay sends to Kafka, then deletes. */
public record StoredRecord(long id, String topic, String key, String headersJson, String payload) {

    /** Columns to select or return to build one. */
    public static final String COLUMNS = "id, topic, record_key, headers::text AS headers, payload";

    public static StoredRecord from(Row row) {
        return new StoredRecord(row.getLong("id"), row.getString("topic"), row.getString("record_key"),
                row.getString("headers"), row.getString("payload"));
    }
}
