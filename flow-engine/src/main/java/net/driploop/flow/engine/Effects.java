package net.driploop.flow.engine;

import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.log.AutomationLogEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The outbox records (commands and automation-log entries) that one transaction produces, in order. */
final class Effects {

    private final List<OutboxRecord> records = new ArrayList<>();

    void add(OutboxRecord record) {
        records.add(record);
    }

    /** An automation-log entry about an execution (or a step of it, when {@code stepId} is set). */
    void log(String type, Execution execution, String stepId, Map<String, Object> detail) {
        log(type, execution.correlationId(), execution, stepId, detail);
    }

    /** An entry in the trace of {@code correlationId}: the API call whose event caused it, not the one that started the execution. */
    void log(String type, String correlationId, Execution execution, String stepId, Map<String, Object> detail) {
        records.add(OutboxRecord.log(new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), Timestamps.now(),
                AutomationLogEntry.SERVICE_FLOW_ENGINE, type, correlationId, execution.appId(),
                execution.externalUserId(), execution.flowId(), execution.id(), stepId,
                detail == null || detail.isEmpty() ? null : detail)));
    }

    List<OutboxRecord> records() {
        return records;
    }

    boolean isEmpty() {
        return records.isEmpty();
    }

    /** A detail map that keeps its keys in order and takes null values. */
    static Map<String, Object> detail(Object... keysAndValues) {
        Map<String, Object> detail = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            detail.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return detail;
    }
}
