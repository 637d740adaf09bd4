package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Parses and checks a condition of a definition ({@code when}, {@code exitWhen}), nested groups included. */
final class ConditionParser {

    static final int MAX_DEPTH = 10;
    static final int MAX_GROUP_SIZE = 100;
    private static final String SHAPE = "must be a condition: {field, op, value}, {all: […]} or {any: […]}";
    private static final Set<String> COMPARISON_FIELDS = Set.of("field", "op", "value");

    private final Problems problems;

    ConditionParser(Problems problems) {
        this.problems = problems;
    }

    /** The condition at {@code path}; null when it is unusable (its problems are recorded). */
    Condition parse(JsonNode json, String path) {
        return parse(json, path, 1);
    }

    private Condition parse(JsonNode json, String path, int depth) {
        if (json == null || !json.isObject()) {
            problems.add(path, SHAPE);
            return null;
        }
        if (depth > MAX_DEPTH) {
            problems.add(path, "nests too deeply: at most " + MAX_DEPTH + " levels of all/any");
            return null;
        }
        FieldReader reader = new FieldReader((ObjectNode) json, path, problems);
        if (json.has("all")) {
            return new Condition.All(group(reader, "all", depth));
        }
        if (json.has("any")) {
            return new Condition.Any(group(reader, "any", depth));
        }
        if (json.isEmpty()) {
            problems.add(path, SHAPE);
            return null;
        }
        return comparison(reader, (ObjectNode) json);
    }

    private List<Condition> group(FieldReader reader, String key, int depth) {
        reader.rejectUnknown(Set.of(key), "an \"" + key + "\" condition");
        JsonNode members = reader.get(key);
        List<Condition> conditions = new ArrayList<>();
        if (members == null || !members.isArray() || members.isEmpty()) {
            reader.reject(key, "must be a non-empty array of conditions");
            return conditions;
        }
        if (members.size() > MAX_GROUP_SIZE) {
            reader.reject(key, "must have at most " + MAX_GROUP_SIZE + " conditions");
            return conditions;
        }
        for (int i = 0; i < members.size(); i++) {
            Condition condition = parse(members.get(i), Problems.element(reader.pointer(key), i), depth + 1);
            if (condition != null) {
                conditions.add(condition);
            }
        }
        return conditions;
    }

    private Condition comparison(FieldReader reader, ObjectNode json) {
        reader.rejectUnknown(COMPARISON_FIELDS, "a comparison (field, op, value)");
        String field = reader.string("field", true, 200);
        if (field != null) {
            Fields.conditionFieldProblem(field).ifPresent(problem -> reader.reject("field", problem));
        }
        String opName = reader.string("op", true, 20);
        Operator op = opName == null ? null : Operator.fromWire(opName).orElse(null);
        if (opName != null && op == null) {
            reader.reject("op", "must be one of " + Operator.allowed());
        }
        JsonNode value = reader.get("value");
        if (op != null) {
            checkValue(reader, op, value, json.get("value"));
        }
        return new Condition.Comparison(field, op, value);
    }

    private static void checkValue(FieldReader reader, Operator op, JsonNode value, JsonNode raw) {
        if (!op.takesValue()) {
            if (raw != null) {
                reader.reject("value", "must not be set with op " + op.wire());
            }
            return;
        }
        if (value == null) {
            reader.reject("value", raw == null ? "is required with op " + op.wire()
                    : "must not be null; test a missing field with exists or not_exists");
            return;
        }
        switch (op) {
            case GT, GTE, LT, LTE -> {
                if (!value.isNumber() && !(value.isTextual() && IsoDates.parse(value.textValue()).isPresent())) {
                    reader.reject("value", "must be a number or an ISO-8601 date, e.g. \"2026-06-09\"");
                }
            }
            case IN -> {
                if (!value.isArray() || value.isEmpty() || !allScalars(value)) {
                    reader.reject("value", "must be a non-empty array of strings, numbers or booleans");
                }
            }
            default -> {
                if (!isScalar(value)) {
                    reader.reject("value", "must be a string, number or boolean");
                }
            }
        }
    }

    private static boolean allScalars(JsonNode array) {
        for (JsonNode element : array) {
            if (!isScalar(element)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isScalar(JsonNode value) {
        return value.isTextual() || value.isNumber() || value.isBoolean();
    }
}
