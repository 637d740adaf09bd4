package net.driploop.ingest.outbox;

import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.log.AutomationLogEntry;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A record to write to the outbox, in the transaction of the change it reports.
 *
 * @param payload JSON; when {@code userId} is set, the user's snapshot after the change is put into its
 *                {@code user} field as the row is written (by {@code ingest.user_snapshot})
 */
public record OutboxRecord(String topic, String key, Map<String, String> headers, Object payload, String userId) {

    static final String SERVICE = AutomationLogEntry.SERVICE_INGEST_API;

    /** An event on {@code driploop.events.v1}. */
    public static OutboxRecord event(String type, String appId, String externalUserId, String correlationId,
            Instant at, Object payload, String userIdForSnapshot) {
        String id = Ids.newId(Ids.EVENT);
        return new OutboxRecord(Topics.EVENTS, Topics.userKey(appId, externalUserId),
                headers(id, type, at, externalUserId, correlationId), payload, userIdForSnapshot);
    }

    /** An automation-log entry on {@code driploop.automation-log.v1}, keyed by correlationId. */
    public static OutboxRecord log(AutomationLogEntry entry) {
        return new OutboxRecord(Topics.AUTOMATION_LOG, entry.correlationId(),
                headers(entry.id(), AutomationLogEntry.CE_TYPE, entry.at(), entry.externalUserId(),
                        entry.correlationId()), entry, null);
    }

    /** The event id ({@code ce_id}). */
    public String id() {
        return headers.get(CloudEventHeaders.ID);
    }

    public String type() {
        return headers.get(CloudEventHeaders.TYPE);
    }

    private static Map<String, String> headers(String id, String type, Instant at, String subject,
            String correlationId) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        headers.put(CloudEventHeaders.ID, id);
        headers.put(CloudEventHeaders.TYPE, type);
        headers.put(CloudEventHeaders.SOURCE, CloudEventHeaders.source(SERVICE));
        headers.put(CloudEventHeaders.TIME, Timestamps.format(at));
        if (subject != null) {
            headers.put(CloudEventHeaders.SUBJECT, subject);
        }
        headers.put(CloudEventHeaders.CORRELATION_ID, correlationId);
        headers.put(CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        return headers;
    }
}
