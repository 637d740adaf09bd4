package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads the fields of a {@code webhook} step: an absolute http(s) URL, a method, headers and a body, all templates. */
final class WebhookSteps {

    static final int MAX_URL_LENGTH = 2048;
    static final int MAX_HEADERS = 50;
    static final int MAX_HEADER_VALUE_LENGTH = 8192;
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
    private static final Pattern HEADER_NAME = Pattern.compile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$");
    // Set by the worker: the Standard Webhooks signature headers and what the HTTP client owns.
    private static final Set<String> RESERVED_HEADERS = Set.of(
            "webhook-id", "webhook-timestamp", "webhook-signature", "host", "content-length");
    private static final Pattern EXPRESSION = Pattern.compile("\\{[^{}]*}");

    private WebhookSteps() {
    }

    static WebhookStep parse(FieldReader reader, String id, String next) {
        String url = reader.template("url", true, MAX_URL_LENGTH);
        if (url != null && !isAbsoluteHttpUrl(url)) {
            reader.reject("url", "must be an absolute http:// or https:// URL");
        }
        String method = reader.string("method", false, 16);
        if (method != null && !METHODS.contains(method)) {
            reader.reject("method", "must be one of GET, POST, PUT, PATCH, DELETE");
        }
        method = method == null ? WebhookStep.DEFAULT_METHOD : method;
        Map<String, String> headers = headers(reader);
        JsonNode body = reader.get("body");
        if (body != null) {
            if ("GET".equals(method)) {
                reader.reject("body", "must not be set when method is GET");
            }
            checkBodyTemplates(reader, body, reader.pointer("body"));
        }
        return new WebhookStep(id, url, method, headers, body, next);
    }

    /** Whether the URL, with each template expression replaced by a plain word, is an absolute http(s) URL. */
    private static boolean isAbsoluteHttpUrl(String url) {
        try {
            URI uri = new URI(EXPRESSION.matcher(url).replaceAll("x"));
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static Map<String, String> headers(FieldReader reader) {
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode json = reader.get("headers");
        if (json == null) {
            return headers;
        }
        if (!json.isObject()) {
            reader.reject("headers", "must be an object of header names to string values");
            return headers;
        }
        if (json.size() > MAX_HEADERS) {
            reader.reject("headers", "must have at most " + MAX_HEADERS + " headers");
            return headers;
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = json.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> header = fields.next();
            String pointer = Problems.child(reader.pointer("headers"), header.getKey());
            String problem = headerProblem(header.getKey(), header.getValue());
            if (problem != null) {
                reader.rejectAt(pointer, problem);
            } else {
                headers.put(header.getKey(), header.getValue().textValue());
            }
        }
        return headers;
    }

    private static String headerProblem(String name, JsonNode value) {
        if (!HEADER_NAME.matcher(name).matches()) {
            return "is not a valid header name";
        }
        if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
            return "is set by Driploop and cannot be overridden";
        }
        if (!value.isTextual()) {
            return "must be a string";
        }
        String text = value.textValue();
        if (text.length() > MAX_HEADER_VALUE_LENGTH) {
            return "must be at most " + MAX_HEADER_VALUE_LENGTH + " characters";
        }
        if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            return "must be a single line";
        }
        return Templates.problem(text).orElse(null);
    }

    /** Every string leaf of the body is a template; reports each one that does not parse. */
    private static void checkBodyTemplates(FieldReader reader, JsonNode node, String pointer) {
        if (node.isTextual()) {
            Templates.problem(node.textValue()).ifPresent(problem -> reader.rejectAt(pointer, problem));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkBodyTemplates(reader, node.get(i), Problems.element(pointer, i));
            }
        } else if (node.isObject()) {
            node.fields().forEachRemaining(field ->
                    checkBodyTemplates(reader, field.getValue(), Problems.child(pointer, field.getKey())));
        }
    }
}
