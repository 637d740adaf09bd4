package net.driploop.flow.definition;

import java.time.Duration;

/**
 * Waits for an activity event (optionally matching {@code when}) up to a timeout: continues at
 * {@code then} when it arrives in time, else at {@code otherwise} (JSON {@code else}).
 */
public record WaitForStep(String id, String event, Duration timeout, Condition when, String then, String otherwise)
        implements Step {

    @Override
    public StepType type() {
        return StepType.WAIT_FOR;
    }
}
