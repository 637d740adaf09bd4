package net.driploop.flow.definition;

/**
 * Sends an email built from Qute templates; {@code to} null means the user's email, {@code sendOnce}
 * and {@code maxCount} (null = no limit) cap sends of this step per user across executions.
 */
public record EmailStep(
        String id,
        String to,
        String subject,
        String text,
        String html,
        boolean sendOnce,
        Integer maxCount,
        String next) implements Step {

    @Override
    public StepType type() {
        return StepType.EMAIL;
    }
}
