package net.driploop.flow.definition;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Whether a user who already entered a flow may enter it again. */
public enum Reentry {
    /** Every matching event starts a new execution. */
    ALWAYS("always"),
    /** Once per user, ever. */
    ONCE("once"),
    /** Not while an execution of this flow runs for the user (the default). */
    IF_NOT_ACTIVE("if_not_active");

    private final String wire;

    Reentry(String wire) {
        this.wire = wire;
    }

    /** The name in the definition JSON. */
    public String wire() {
        return wire;
    }

    public static Optional<Reentry> fromWire(String wire) {
        return Arrays.stream(values()).filter(reentry -> reentry.wire.equals(wire)).findFirst();
    }

    static String allowed() {
        return Arrays.stream(values()).map(Reentry::wire).collect(Collectors.joining(", "));
    }
}
