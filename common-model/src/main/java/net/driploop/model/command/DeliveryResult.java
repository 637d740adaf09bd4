package net.driploop.model.command;

import java.time.Instant;
import java.util.Map;

/**
 * What a worker did with a command: {@code status} is {@code sent}, {@code failed}, {@code skipped} or
 * {@code retrying}; {@code detail} holds the specifics (SMTP reply, HTTP status, error, next attempt).
 */
public record DeliveryResult(
        String commandId,
        String channel,
        String status,
        String appId,
        String externalUserId,
        String flowId,
        String executionId,
        String stepId,
        Map<String, Object> detail,
        Instant at) {

    public static final String EMAIL = "email";
    public static final String WEBHOOK = "webhook";

    public static final String SENT = "sent";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";
    public static final String RETRYING = "retrying";
}
