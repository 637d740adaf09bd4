package net.driploop.flow.definition;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A refused flow definition; {@link #details()} maps pointers such as {@code steps[2].duration} to what is wrong. */
public class FlowValidationException extends RuntimeException {

    private final Map<String, String> details;

    public FlowValidationException(Map<String, String> details) {
        super("The flow definition is invalid: " + details);
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** Every problem found, in the order found, keyed by a JSON-path-like pointer. */
    public Map<String, String> details() {
        return details;
    }
}
