package net.driploop.ingest.pipeline;

import net.driploop.ingest.auth.Caller;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.log.AutomationLogEntry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** An authenticated, rate-limited call being executed, with the time and correlationId it acts under. */
public record CallContext(Caller caller, String correlationId, Instant now, Call call) {

    public String appId() {
        return caller.appId();
    }

    /** An event record of this call. */
    public OutboxRecord event(String type, String externalUserId, Object payload, String userIdForSnapshot) {
        return OutboxRecord.forUser(Topics.EVENTS, Ids.newId(Ids.EVENT), type, appId(), externalUserId, correlationId,
                now, payload, userIdForSnapshot);
    }

    /**
     * The records of an accepted call: its events followed by the {@code api.request} log entry that lists
     * them.
     */
    public List<OutboxRecord> withApiLog(int status, String externalUserId, List<OutboxRecord> events) {
        List<OutboxRecord> records = new ArrayList<>(events);
        records.add(apiLog(status, externalUserId, events));
        return records;
    }

    /** The {@code api.request} log entry of an accepted call that published {@code events}. */
    public OutboxRecord apiLog(int status, String externalUserId, List<OutboxRecord> events) {
        List<Map<String, String>> published = new ArrayList<>();
        for (OutboxRecord event : events) {
            published.add(publishedEvent(event));
        }
        Map<String, Object> detail = requestDetail(call, status);
        detail.put("events", published);
        return OutboxRecord.log(apiRequestEntry(caller.appId(), externalUserId, correlationId, detail));
    }

    /** How an {@code api.request} entry lists one event it published: {@code {"id": …, "type": …}}. */
    public static Map<String, String> publishedEvent(OutboxRecord event) {
        Map<String, String> published = new LinkedHashMap<>();
        published.put("id", event.id());
        published.put("type", event.type());
        return published;
    }

    /** The detail of an {@code api.request} entry. */
    public static Map<String, Object> requestDetail(Call call, int status) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("method", call.method());
        detail.put("path", call.path());
        detail.put("status", status);
        if (call.idempotencyKey() != null) {
            detail.put("idempotencyKey", call.idempotencyKey());
        }
        return detail;
    }

    public static AutomationLogEntry apiRequestEntry(String appId, String externalUserId, String correlationId,
            Map<String, Object> detail) {
        return new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), net.driploop.model.Timestamps.now(),
                AutomationLogEntry.SERVICE_INGEST_API, AutomationLogEntry.API_REQUEST, correlationId, appId,
                externalUserId, null, null, null, detail);
    }
}
