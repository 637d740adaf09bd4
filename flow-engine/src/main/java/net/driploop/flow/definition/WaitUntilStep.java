package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Optional;

/**
 * Waits until a date field of the user or purchase, shifted by an offset (negative = before); a time
 * already past continues at once.
 */
public record WaitUntilStep(String id, String at, IsoOffset offset, String next) implements Step {

    @Override
    public StepType type() {
        return StepType.WAIT_UNTIL;
    }

    /** When the wait ends, from the {@code at} field of the context; empty when the field is missing or not a date. */
    public Optional<Instant> dueAt(JsonNode context) {
        JsonNode value = Fields.resolve(context, at);
        if (value == null || !value.isTextual()) {
            return Optional.empty();
        }
        return IsoDates.parse(value.textValue()).map(offset::apply);
    }
}
