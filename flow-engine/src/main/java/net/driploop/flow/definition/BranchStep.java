package net.driploop.flow.definition;

/**
 * Continues at {@code then} when the condition holds on the latest state, else at {@code otherwise}
 * (JSON {@code else}).
 */
public record BranchStep(String id, Condition when, String then, String otherwise) implements Step {

    @Override
    public StepType type() {
        return StepType.BRANCH;
    }
}
