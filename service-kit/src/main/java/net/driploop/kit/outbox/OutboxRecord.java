package net.driploop.kit.outbox;

import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.log.AutomationLogEntry;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A record to write to the outbox, in the transaction of the change it reports: its topic and key, its
 * CloudEvents attributes, its payload and any Kafka headers beyond the CloudEvents ones.
 *
 * @param payload    the record's value (a Jackson {@code RawValue} is JSON text written before, sent as it is)
 * @param snapshotOf when set, the id of a row whose snapshot replaces the payload's top-level
 *                   {@code "user":null} as the row is written (see {@link OutboxWriter#insertStatement})
 * @param headers    extra Kafka headers, sent after the CloudEvents ones (e.g. a dead letter's reason); empty for
 *                   most records
 */
public record OutboxRecord(String topic, String key, String id, String type, Instant time, String subject,
        String correlationId, Object payload, String snapshotOf, Map<String, String> headers) {

    public OutboxRecord {
        headers = headers == null || headers.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        headers.keySet().forEach(OutboxRecord::checkHeaderName);
    }

    /** A record with the CloudEvents headers only. */
    public OutboxRecord(String topic, String key, String id, String type, Instant time, String subject,
            String correlationId, Object payload, String snapshotOf) {
        this(topic, key, id, type, time, subject, correlationId, payload, snapshotOf, Map.of());
    }

    /** A record about one user of an app: keyed {@code {appId}:{externalUserId}}, the user as {@code ce_subject}. */
    public static OutboxRecord forUser(String topic, String id, String type, String appId, String externalUserId,
            String correlationId, Instant at, Object payload, String snapshotOf) {
        return new OutboxRecord(topic, Topics.userKey(appId, externalUserId), id, type, at, externalUserId,
                correlationId, payload, snapshotOf);
    }

    /** An automation-log entry on {@code driploop.automation-log.v1}, keyed by correlationId. */
    public static OutboxRecord log(AutomationLogEntry entry) {
        return new OutboxRecord(Topics.AUTOMATION_LOG, entry.correlationId(), entry.id(), AutomationLogEntry.CE_TYPE,
                entry.at(), entry.externalUserId(), entry.correlationId(), entry, null);
    }

    /** This record with extra Kafka headers (null values are left out). */
    public OutboxRecord withHeaders(Map<String, String> extra) {
        Map<String, String> all = new LinkedHashMap<>(headers);
        extra.forEach((name, value) -> {
            if (value != null) {
                all.put(name, value);
            }
        });
        return new OutboxRecord(topic, key, id, type, time, subject, correlationId, payload, snapshotOf, all);
    }

    /** This record with another payload, e.g. its payload as JSON text written once for several records. */
    public OutboxRecord withPayload(Object other) {
        return new OutboxRecord(topic, key, id, type, time, subject, correlationId, other, snapshotOf, headers);
    }

    /** {@code ce_time}: the wire format of {@link #time()}. */
    public String formattedTime() {
        return Timestamps.format(time);
    }

    /** The relay sets the CloudEvents headers and the content type itself: an extra header may not repeat them. */
    private static void checkHeaderName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.isBlank() || lower.startsWith("ce_") || lower.equals("content-type")) {
            throw new IllegalArgumentException("an outbox record's extra header may not be named \"" + name + "\"");
        }
    }
}
