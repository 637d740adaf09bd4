package net.driploop.flow.definition;

import java.time.Duration;

/** Waits a fixed, positive time. */
public record WaitStep(String id, Duration duration, String next) implements Step {

    @Override
    public StepType type() {
        return StepType.WAIT;
    }
}
