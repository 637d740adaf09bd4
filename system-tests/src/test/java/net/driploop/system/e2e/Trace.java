package net.driploop.system.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

import java.util.ArrayList;
import java.util.List;

/** Reading trace entries ({@code GET /admin/v1/traces/{cid}}) and execution views ({@code …/executions}). */
final class Trace {

    private Trace() {
    }

    /** The entry types in trace order. */
    static List<String> types(List<JsonNode> entries) {
        return entries.stream().map(e -> e.path("type").asText()).toList();
    }

    /** {@code service:type} of each entry, in trace order. */
    static List<String> serviceTypes(List<JsonNode> entries) {
        return entries.stream().map(e -> e.path("service").asText() + ":" + e.path("type").asText()).toList();
    }

    /** The entries of one type. */
    static List<JsonNode> all(List<JsonNode> entries, String type) {
        return entries.stream().filter(e -> type.equals(e.path("type").asText())).toList();
    }

    /** The first entry of a type; fails when there is none. */
    static JsonNode first(List<JsonNode> entries, String type) {
        return entries.stream().filter(e -> type.equals(e.path("type").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " in the trace " + types(entries)));
    }

    /** The step ids an execution ran, in order. */
    static List<String> stepIds(JsonNode execution) {
        List<String> ids = new ArrayList<>();
        execution.path("steps").forEach(step -> ids.add(step.path("stepId").asText()));
        return ids;
    }

    /** What the worker reported for an email or webhook step ({@code detail.delivery}; missing until it has). */
    static JsonNode delivery(JsonNode execution, String stepId) {
        return step(execution, stepId).path("detail").path("delivery");
    }

    /** One step of an execution by id (a missing node when it has not run). */
    static JsonNode step(JsonNode execution, String stepId) {
        for (JsonNode step : execution.path("steps")) {
            if (stepId.equals(step.path("stepId").asText())) {
                return step;
            }
        }
        return MissingNode.getInstance();
    }
}
