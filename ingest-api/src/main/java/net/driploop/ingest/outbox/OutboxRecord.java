package net.driploop.ingest.outbox;

import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.log.AutomationLogEntry;

import java.time.Instant;

/**
 * A record to write to the outbox, in the transaction of the change it reports: its topic and key, its
 * CloudEvents attributes, and its payload.
 *
 * @param payload the record's value; when {@code userId} is set its {@code user} field must be null, and is
 *                replaced by the user's snapshot after the change as the row is written
 *                ({@code ingest.user_snapshot})
 */
public record OutboxRecord(String topic, String key, String id, String type, Instant time, String subject,
        String correlationId, Object payload, String userId) {

    /** An event on {@code driploop.events.v1}. */
    public static OutboxRecord event(String type, String appId, String externalUserId, String correlationId,
            Instant at, Object payload, String userIdForSnapshot) {
        return new OutboxRecord(Topics.EVENTS, Topics.userKey(appId, externalUserId), Ids.newId(Ids.EVENT), type, at,
                externalUserId, correlationId, payload, userIdForSnapshot);
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
