package net.driploop.email.delivery;

import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.log.AutomationLogEntry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The outbox records that report one outcome: a DeliveryResult (unless none is due) and an automation-log entry. */
final class Outcomes {

    static final String SENT = "email.sent";
    static final String SKIPPED = "email.skipped";
    static final String RETRYING = "email.retrying";
    static final String FAILED = "email.failed";

    private Outcomes() {
    }

    /** Who and what an outcome is about: the command's identifying fields. */
    record Subject(String commandId, String appId, String externalUserId, String flowId, String executionId,
            String stepId, String correlationId) {
    }

    /**
     * The records of one outcome. {@code resultStatus} null means no DeliveryResult (a duplicate: the first
     * delivery reported already); the log entry always.
     */
    static List<OutboxRecord> of(Subject s, String resultStatus, String logType, Map<String, Object> detail) {
        Instant at = Timestamps.now();
        List<OutboxRecord> records = new ArrayList<>(2);
        if (resultStatus != null) {
            DeliveryResult result = new DeliveryResult(s.commandId(), DeliveryResult.EMAIL, resultStatus, s.appId(),
                    s.externalUserId(), s.flowId(), s.executionId(), s.stepId(), detail, at);
            records.add(OutboxRecord.forUser(Topics.DELIVERY_RESULTS, Ids.newId(Ids.EVENT), CommandTypes.DELIVERY_RESULT,
                    s.appId(), s.externalUserId(), s.correlationId(), at, result, null));
        }
        records.add(OutboxRecord.log(new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), at,
                AutomationLogEntry.SERVICE_EMAIL_WORKER, logType, s.correlationId(), s.appId(), s.externalUserId(),
                s.flowId(), s.executionId(), s.stepId(), detail)));
        return records;
    }
}
