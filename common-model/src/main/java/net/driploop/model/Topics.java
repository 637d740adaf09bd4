package net.driploop.model;

/** Kafka topic names and the record-key format shared by every service. */
public final class Topics {

    /** User and app events from ingest-api. */
    public static final String EVENTS = "driploop.events.v1";
    /** SendEmail commands from flow-engine. */
    public static final String EMAIL_COMMANDS = "driploop.email-commands.v1";
    /** CallWebhook commands from flow-engine. */
    public static final String WEBHOOK_COMMANDS = "driploop.webhook-commands.v1";
    /** DeliveryResult records from the workers. */
    public static final String DELIVERY_RESULTS = "driploop.delivery-results.v1";
    /** AutomationLogEntry records from every service, keyed by correlationId. */
    public static final String AUTOMATION_LOG = "driploop.automation-log.v1";
    /** Suffix of a dead-letter topic: the source topic name plus this. */
    public static final String DLQ_SUFFIX = ".dlq";

    private Topics() {
    }

    /** The record key that keeps all of one user's records in one partition: {@code {appId}:{externalUserId}}. */
    public static String userKey(String appId, String externalUserId) {
        return appId + ":" + externalUserId;
    }

    /** The dead-letter topic of a source topic. */
    public static String dlq(String topic) {
        return topic + DLQ_SUFFIX;
    }
}
