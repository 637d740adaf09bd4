package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** A test on the latest state: {@code {field, op, value}}, {@code {all: […]}} or {@code {any: […]}}. */
public sealed interface Condition permits Condition.Comparison, Condition.All, Condition.Any {

    /** Compares one field of the context with a value; {@code value} is null for exists / not_exists. */
    record Comparison(String field, Operator op, JsonNode value) implements Condition {
    }

    /** Holds when every condition holds. */
    record All(List<Condition> conditions) implements Condition {
        public All {
            conditions = List.copyOf(conditions);
        }
    }

    /** Holds when at least one condition holds. */
    record Any(List<Condition> conditions) implements Condition {
        public Any {
            conditions = List.copyOf(conditions);
        }
    }
}
