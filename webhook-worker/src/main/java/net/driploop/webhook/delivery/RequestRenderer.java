package net.driploop.webhook.delivery;

import io.quarkus.qute.Engine;
import io.quarkus.qute.Expression;
import io.quarkus.qute.ResultMapper;
import io.quarkus.qute.Results;
import io.quarkus.qute.TemplateNode;
import io.quarkus.qute.TemplateException;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.JsonCodec;
import net.driploop.model.command.CallWebhook;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a CallWebhook with Qute and its {@code data}: the URL, each header value and each string leaf of the
 * body (so that a rendered value is JSON-escaped as a string, never spliced into JSON text). A null body is
 * the standard payload: app, user, event, flow, execution and correlationId.
 */
@ApplicationScoped
public class RequestRenderer {

    /** A name the data does not hold renders empty rather than failing the delivery. */
    private final Engine engine = Engine.builder().addDefaults().strictRendering(false)
            .addResultMapper(new ResultMapper() {
                @Override
                public boolean appliesTo(TemplateNode.Origin origin, Object result) {
                    return Results.isNotFound(result);
                }

                @Override
                public String map(Object result, Expression expression) {
                    return "";
                }
            }).build();
    private final JsonCodec json;

    public RequestRenderer(JsonCodec json) {
        this.json = json;
    }

    /** The request to send; throws {@link IllegalArgumentException} when a template does not parse. */
    public RenderedRequest render(CallWebhook command) {
        Map<String, Object> data = command.data() == null ? Map.of() : command.data();
        String method = command.method() == null || command.method().isBlank() ? "POST"
                : command.method().toUpperCase(Locale.ROOT);
        Map<String, String> headers = new LinkedHashMap<>();
        if (command.headers() != null) {
            command.headers().forEach((name, value) -> {
                String rendered = render(value, data);
                // data from users must not be able to add headers or split the request
                if (rendered != null && (rendered.indexOf('\r') >= 0 || rendered.indexOf('\n') >= 0)) {
                    throw new IllegalArgumentException("header " + name + " renders to a value with a line break");
                }
                headers.put(name, rendered);
            });
        }
        byte[] body = method.equals("GET") ? new byte[0]
                : json.write(command.body() == null ? standardPayload(command, data) : renderLeaves(command.body(), data))
                        .getBytes(StandardCharsets.UTF_8);
        return new RenderedRequest(method, render(command.url(), data), headers, body);
    }

    /** The URL the command calls, rendered; throws {@link IllegalArgumentException} when it does not parse. */
    public String url(CallWebhook command) {
        return render(command.url(), command.data() == null ? Map.of() : command.data());
    }

    /** The default body: what a receiver needs to know which user, flow and step this call is about. */
    static Map<String, Object> standardPayload(CallWebhook command, Map<String, Object> data) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("app", Map.of("id", command.appId()));
        payload.put("user", data.getOrDefault("user", Map.of("externalUserId", command.externalUserId())));
        payload.put("event", data.get("event"));
        payload.put("flow", Map.of("id", String.valueOf(command.flowId()), "version", command.flowVersion()));
        payload.put("execution", Map.of("id", String.valueOf(command.executionId()), "stepId",
                String.valueOf(command.stepId())));
        payload.put("correlationId", command.correlationId());
        return payload;
    }

    private Object renderLeaves(Object node, Map<String, Object> data) {
        if (node instanceof String text) {
            return render(text, data);
        }
        if (node instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            map.forEach((key, value) -> out.put(key, renderLeaves(value, data)));
            return out;
        }
        if (node instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(item -> out.add(renderLeaves(item, data)));
            return out;
        }
        return node;
    }

    private String render(String template, Map<String, Object> data) {
        if (template == null || template.indexOf('{') < 0) {
            return template;
        }
        try {
            return engine.parse(template).data(data).render();
        } catch (TemplateException e) {
            throw new IllegalArgumentException("a template does not render: " + e.getMessage());
        }
    }
}
