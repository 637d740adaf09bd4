package net.driploop.kit.outbox;

import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.log.AutomationLogEntry;

import java.time.Instant;

/**
 * A record to write to the outbox, in the transaction of the change it reports: its topic and key, its
 * CloudEvents attributes, and its payload.
 *
 * @param payload    the record's value
 * @param snapshotOf when set, the id of a row whose snapshot replaces the payload's top-level
 *                   {@code "user":null} as the row is written (see {@link OutboxWriter#insertStatement})
 */
public record OutboxRecord(String topic, String key, String id, String type, Instant time, String subject,
        String correlationId, Object payload, String snapshotOf) {

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

    /** {@code ce_time}: the wire format of {@link #time()}. */
    public String formattedTime() {
        return Timestamps.format(time);
    }
}
