package net.driploop.flow.definition;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The comparison operators of a condition, by their name in the definition JSON. */
public enum Operator {
    EQ("eq"),
    NEQ("neq"),
    GT("gt"),
    GTE("gte"),
    LT("lt"),
    LTE("lte"),
    EXISTS("exists"),
    NOT_EXISTS("not_exists"),
    IN("in"),
    CONTAINS("contains");

    private final String wire;

    Operator(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** Whether the operator compares against a {@code value} (all but exists / not_exists). */
    public boolean takesValue() {
        return this != EXISTS && this != NOT_EXISTS;
    }

    public static Optional<Operator> fromWire(String wire) {
        return Arrays.stream(values()).filter(op -> op.wire.equals(wire)).findFirst();
    }

    static String allowed() {
        return Arrays.stream(values()).map(Operator::wire).collect(Collectors.joining(", "));
    }
}
