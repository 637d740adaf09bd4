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
        List<Map<String, String>> published = new ArrayList<>();
        for (OutboxRecord event : events) {
            published.add(Map.of("id", event.id(), "type", event.type()));
        }
        Map<String, Object> detail = requestDetail(call, status);
        detail.put("events", published);
        List<OutboxRecord> records = new ArrayList<>(events);
        records.add(OutboxRecord.log(apiRequestEntry(caller.appId(), externalUserId, correlationId, detail)));
        return records;
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
