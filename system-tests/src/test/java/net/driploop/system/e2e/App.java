package net.driploop.system.e2e;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static net.driploop.system.e2e.JsonHttp.call;

/**
 * One app of the system as its operator and its backend see it: created with the admin API of ingest-api,
 * given an API key, flows on flow-engine, and the public API v1 called with the key.
 */
final class App {

    /** Reads the flow definitions written in the tests with single quotes. */
    private static final ObjectMapper LENIENT = new ObjectMapper().enable(JsonParser.Feature.ALLOW_SINGLE_QUOTES);

    private final SystemStack stack;
    private final String id;
    private final String apiKey;
    private final String tag;

    private App(SystemStack stack, String id, String apiKey) {
        this.stack = stack;
        this.id = id;
        this.apiKey = apiKey;
        // keeps the recipients of different apps apart in the one shared mailbox
        this.tag = id.substring(id.length() - 8).toLowerCase();
    }

    static App create(SystemStack stack, String name) {
        String ingest = stack.service(SystemStack.INGEST).url();
        String appId = call("POST", ingest + "/admin/v1/apps", stack.adminToken(),
                Map.of("name", name, "deletePolicy", "deactivate")).expect(201).data().path("id").asText();
        String key = call("POST", ingest + "/admin/v1/apps/" + appId + "/keys", stack.adminToken(),
                Map.of("name", "e2e")).expect(201).data().path("key").asText();
        return new App(stack, appId, key);
    }

    String id() {
        return id;
    }

    /** The address this app's user gets mail at: unique across apps and users. */
    String email(String externalUserId) {
        return externalUserId.toLowerCase() + "." + tag + "@example.com";
    }

    // ---- flows (flow-engine admin API)

    /** Creates a flow from a definition (single quotes allowed) and activates it; returns the flow id. */
    String activeFlow(String definition) {
        String flows = stack.service(SystemStack.FLOWS).url() + "/admin/v1/apps/" + id + "/flows";
        JsonNode body;
        try {
            body = LENIENT.readTree(definition);
        } catch (IOException e) {
            throw new UncheckedIOException("bad definition in the test: " + definition, e);
        }
        String flowId = call("POST", flows, stack.adminToken(), body).expect(201).data().path("id").asText();
        call("POST", flows + "/" + flowId + "/activate", stack.adminToken(), null).expect(200);
        return flowId;
    }

    /** The user's executions with their steps, newest first. */
    List<JsonNode> executions(String externalUserId) {
        String query = "/executions?externalUserId=" + URLEncoder.encode(externalUserId, StandardCharsets.UTF_8);
        JsonNode data = call("GET", stack.service(SystemStack.FLOWS).url() + "/admin/v1/apps/" + id + query,
                stack.adminToken(), null).expect(200).data();
        List<JsonNode> list = new ArrayList<>();
        data.forEach(list::add);
        return list;
    }

    /** The user's latest execution (a missing node when there is none). */
    JsonNode execution(String externalUserId) {
        List<JsonNode> executions = executions(externalUserId);
        return executions.isEmpty() ? MissingNode.getInstance() : executions.get(0);
    }

    /** The webhook signing secret of the app, from webhook-worker's admin API. */
    String webhookSecret() {
        return call("GET", stack.service(SystemStack.WEBHOOK).url() + "/admin/v1/apps/" + id + "/webhook-secret",
                stack.adminToken(), null).expect(200).data().path("secret").asText();
    }

    // ---- public API v1 (ingest-api), with the app's key

    JsonHttp.Response register(String externalUserId, Map<String, Object> metadata) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("externalUserId", externalUserId);
        body.put("email", email(externalUserId));
        body.put("metadata", metadata);
        return api("POST", "/users", body);
    }

    JsonHttp.Response activity(String externalUserId, String event, Map<String, Object> metadata) {
        return api("POST", "/events/activity", Map.of("externalUserId", externalUserId, "event", event, "metadata", metadata));
    }

    /**
     * An activity event sent as a careful client backend sends it: with an {@code Idempotency-Key}, and sent again
     * (same key, so recorded once) when the connection fails before an answer arrives.
     */
    JsonHttp.Response activityRetried(String externalUserId, String event, Map<String, Object> metadata,
            String idempotencyKey) {
        Map<String, Object> body = Map.of("externalUserId", externalUserId, "event", event, "metadata", metadata);
        RuntimeException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return api("POST", "/events/activity", body, Map.of("Idempotency-Key", idempotencyKey));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    JsonHttp.Response patchMetadata(String externalUserId, Map<String, Object> metadata) {
        return api("PATCH", "/users/" + externalUserId + "/metadata", Map.of("metadata", metadata));
    }

    JsonHttp.Response purchase(String externalUserId, Map<String, Object> purchase) {
        return api("POST", "/users/" + externalUserId + "/purchase", purchase);
    }

    JsonHttp.Response delete(String externalUserId) {
        return api("DELETE", "/users/" + externalUserId, null);
    }

    private JsonHttp.Response api(String method, String path, Object body) {
        return api(method, path, body, Map.of());
    }

    private JsonHttp.Response api(String method, String path, Object body, Map<String, String> headers) {
        return call(method, stack.service(SystemStack.INGEST).url() + "/api/v1" + path, apiKey, body, headers);
    }
}
