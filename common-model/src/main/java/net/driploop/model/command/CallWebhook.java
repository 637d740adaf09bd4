package net.driploop.model.command;

import java.time.Instant;
import java.util.Map;

/**
 * Call one webhook of one flow step. {@code url}, header values and the string leaves of {@code body} are
 * Qute templates rendered with {@code data}; a null {@code body} means the standard payload (app, user,
 * event, flow, execution, correlationId). The id, {@code {executionId}:{stepId}}, is the {@code webhook-id}.
 */
public record CallWebhook(
        String id,
        String appId,
        String externalUserId,
        String flowId,
        int flowVersion,
        String executionId,
        String stepId,
        String method,
        String url,
        Map<String, String> headers,
        Object body,
        Map<String, Object> data,
        String correlationId,
        Instant requestedAt) {
}
