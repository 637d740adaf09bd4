package net.driploop.model.log;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.util.Map;

/**
 * One decision or action, by any service, on {@code driploop.automation-log.v1} (key: correlationId).
 * {@code type} is dotted and past tense ({@code api.request}, {@code email.sent}, …); {@code detail}
 * holds its specifics (HTTP status, Kafka topic/partition/offset, SMTP reply, error text).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AutomationLogEntry(
        String id,
        Instant at,
        String service,
        String type,
        String correlationId,
        String appId,
        String externalUserId,
        String flowId,
        String executionId,
        String stepId,
        Map<String, Object> detail) {

    /** ce_type of log records. */
    public static final String CE_TYPE = "automation.log";

    public static final String SERVICE_INGEST_API = "ingest-api";
    public static final String SERVICE_FLOW_ENGINE = "flow-engine";
    public static final String SERVICE_EMAIL_WORKER = "email-worker";
    public static final String SERVICE_WEBHOOK_WORKER = "webhook-worker";

    /** Type of the entry every API request yields. */
    public static final String API_REQUEST = "api.request";
}
