package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One row of {@code flow.executions}: a user's run through one version of a flow. */
record Execution(String id, String appId, String flowId, int flowVersion, String externalUserId,
        String correlationId, ObjectNode triggerData, String status, String currentStep) {

    static final String RUNNING = "running";
    static final String WAITING = "waiting";
    static final String COMPLETED = "completed";
    static final String EXITED = "exited";
    static final String CANCELLED = "cancelled";
    static final String FAILED = "failed";

    /** The columns {@link ExecutionStore#execution} reads. */
    static final String COLUMNS = "id, app_id, flow_id, flow_version, external_user_id, correlation_id, "
            + "trigger_data::text AS trigger_data, status, current_step";

    boolean waitingAt(String stepId) {
        return WAITING.equals(status) && stepId.equals(currentStep);
    }
}
