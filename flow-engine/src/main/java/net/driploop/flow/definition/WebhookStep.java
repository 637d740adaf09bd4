package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Calls a URL; the url, header values and string leaves of {@code body} are Qute templates, and a null
 * body means the standard payload (app, user, event, execution, correlationId).
 */
public record WebhookStep(
        String id,
        String url,
        String method,
        Map<String, String> headers,
        JsonNode body,
        String next) implements Step {

    public static final String DEFAULT_METHOD = "POST";

    public WebhookStep {
        headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    @Override
    public StepType type() {
        return StepType.WEBHOOK;
    }
}
