package net.driploop.flow.definition;

import java.util.List;
import java.util.Optional;

/**
 * A validated flow definition (the JSON format of DESIGN.md); steps run in list order unless a step
 * jumps forward by id, and {@link #END} ends the execution.
 */
public record FlowDefinition(
        String name,
        Trigger trigger,
        Reentry reentry,
        Condition exitWhen,
        List<Step> steps) {

    /** The jump target that ends an execution; no step may take this id. */
    public static final String END = "end";

    public FlowDefinition {
        steps = List.copyOf(steps);
    }

    /** The step an execution starts at. */
    public Step firstStep() {
        return steps.get(0);
    }

    /** The step with this id, if there is one. */
    public Optional<Step> step(String id) {
        return steps.stream().filter(step -> step.id().equals(id)).findFirst();
    }

    /** The step that follows {@code id} in list order; empty after the last step or for an unknown id. */
    public Optional<Step> stepAfter(String id) {
        for (int i = 0; i < steps.size() - 1; i++) {
            if (steps.get(i).id().equals(id)) {
                return Optional.of(steps.get(i + 1));
            }
        }
        return Optional.empty();
    }

    /**
     * Where an execution continues after step {@code fromId} given the jump it took ({@code next},
     * {@code then} or {@code else}): null continues in list order, {@link #END} ends (empty).
     */
    public Optional<Step> continueAfter(String fromId, String jump) {
        if (jump == null) {
            return stepAfter(fromId);
        }
        return END.equals(jump) ? Optional.empty() : step(jump);
    }
}
