package net.driploop.model.command;

/** The {@code ce_type} of commands and delivery results. */
public final class CommandTypes {

    /** {@link SendEmail} on {@code driploop.email-commands.v1}. */
    public static final String SEND_EMAIL = "command.send_email";
    /** {@link CallWebhook} on {@code driploop.webhook-commands.v1}. */
    public static final String CALL_WEBHOOK = "command.call_webhook";
    /** {@link DeliveryResult} on {@code driploop.delivery-results.v1}. */
    public static final String DELIVERY_RESULT = "delivery.result";

    private CommandTypes() {
    }

    /** The id of the command of one step of one execution: {@code {executionId}:{stepId}}. */
    public static String commandId(String executionId, String stepId) {
        return executionId + ":" + stepId;
    }
}
