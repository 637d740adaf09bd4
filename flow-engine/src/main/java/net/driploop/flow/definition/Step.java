package net.driploop.flow.definition;

/**
 * One step of a flow. Jumps ({@code next}, {@code then}, {@code else}) name a later step id or
 * {@link FlowDefinition#END}; a null {@code next} continues with the following step in list order.
 */
public sealed interface Step permits WaitStep, WaitUntilStep, WaitForStep, BranchStep, EmailStep, WebhookStep {

    /** Unique within the flow; part of the command id {@code {executionId}:{stepId}}. */
    String id();

    StepType type();
}
