package net.driploop.flow.definition;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The step types of a flow, by their name in the definition JSON. */
public enum StepType {
    WAIT("wait"),
    WAIT_UNTIL("wait_until"),
    WAIT_FOR("wait_for"),
    BRANCH("branch"),
    EMAIL("email"),
    WEBHOOK("webhook");

    private final String wire;

    StepType(String wire) {
        this.wire = wire;
    }

    /** The name in the definition JSON, e.g. {@code wait_until}. */
    public String wire() {
        return wire;
    }

    public static Optional<StepType> fromWire(String wire) {
        return Arrays.stream(values()).filter(type -> type.wire.equals(wire)).findFirst();
    }

    static String allowed() {
        return Arrays.stream(values()).map(StepType::wire).collect(Collectors.joining(", "));
    }
}
