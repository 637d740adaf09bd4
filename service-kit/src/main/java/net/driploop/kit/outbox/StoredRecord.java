package net.driploop.kit.outbox;

import io.vertx.mutiny.sqlclient.Row;

/**
 * An outbox row as written: what the relay sends to Kafka, then deletes. {@code headers} is the JSON object of the
 * record's extra Kafka headers, or null (most rows).
 */
public record StoredRecord(long rowId, String topic, String key, String id, String type, String time, String subject,
        String correlationId, String payload, String headers) {

    /** Columns to select or return to build one. */
    public static final String COLUMNS = "id, topic, record_key, ce_id, ce_type, ce_time, ce_subject, correlation_id, payload, headers";

    public static StoredRecord from(Row row) {
        return new StoredRecord(row.getLong("id"), row.getString("topic"), row.getString("record_key"),
                row.getString("ce_id"), row.getString("ce_type"), row.getString("ce_time"), row.getString("ce_subject"),
                row.getString("correlation_id"), row.getString("payload"), row.getString("headers"));
    }
}
