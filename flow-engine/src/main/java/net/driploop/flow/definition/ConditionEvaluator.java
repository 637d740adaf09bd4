package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Optional;

/**
 * Evaluates a {@link Condition} on a context shaped {@code {user: {email, status, metadata}, event:
 * {name, metadata}, purchase: {…}}}. Numbers compare numerically (1 equals 1.0), strings exactly,
 * ISO-8601 date strings as instants; a missing (or null) field fails every op but not_exists and neq.
 */
public final class ConditionEvaluator {

    private ConditionEvaluator() {
    }

    public static boolean matches(Condition condition, JsonNode context) {
        if (condition instanceof Condition.All all) {
            return all.conditions().stream().allMatch(member -> matches(member, context));
        }
        if (condition instanceof Condition.Any any) {
            return any.conditions().stream().anyMatch(member -> matches(member, context));
        }
        Condition.Comparison comparison = (Condition.Comparison) condition;
        return compare(comparison.op(), Fields.resolve(context, comparison.field()), comparison.value());
    }

    private static boolean compare(Operator op, JsonNode actual, JsonNode expected) {
        if (actual == null) {
            return op == Operator.NOT_EXISTS || op == Operator.NEQ;
        }
        return switch (op) {
            case EXISTS -> true;
            case NOT_EXISTS -> false;
            case EQ -> equal(actual, expected);
            case NEQ -> !equal(actual, expected);
            case GT -> order(actual, expected).map(c -> c > 0).orElse(false);
            case GTE -> order(actual, expected).map(c -> c >= 0).orElse(false);
            case LT -> order(actual, expected).map(c -> c < 0).orElse(false);
            case LTE -> order(actual, expected).map(c -> c <= 0).orElse(false);
            case IN -> expected.isArray() && contains(expected, actual);
            case CONTAINS -> actual.isTextual() && expected.isTextual()
                    ? actual.textValue().contains(expected.textValue())
                    : actual.isArray() && contains(actual, expected);
        };
    }

    private static boolean contains(JsonNode array, JsonNode element) {
        for (JsonNode member : array) {
            if (equal(member, element)) {
                return true;
            }
        }
        return false;
    }

    /** Same number, same string (or the same instant, for two date strings), same boolean. */
    static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isTextual() && b.isTextual()) {
            return a.textValue().equals(b.textValue()) || order(a, b).map(c -> c == 0).orElse(false);
        }
        return a.equals(b);
    }

    /** The order of two numbers or two ISO-8601 date strings; empty for anything else. */
    private static Optional<Integer> order(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return Optional.of(a.decimalValue().compareTo(b.decimalValue()));
        }
        if (a.isTextual() && b.isTextual()) {
            Optional<Instant> left = IsoDates.parse(a.textValue());
            Optional<Instant> right = IsoDates.parse(b.textValue());
            if (left.isPresent() && right.isPresent()) {
                return Optional.of(left.get().compareTo(right.get()));
            }
        }
        return Optional.empty();
    }
}
