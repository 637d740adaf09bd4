package net.driploop.model;

/**
 * Kafka headers that say why a record is on a dead-letter topic ({@code *.dlq}), beside its CloudEvents headers.
 * The names are those the SmallRye Kafka connector gives records it dead-letters itself, so that every DLQ of
 * the system reads alike, whoever put the record there.
 */
public final class DeadLetterHeaders {

    /** Why: {@link #RETRIES_EXHAUSTED} for a command whose retries ran out; the failure message for the connector's. */
    public static final String REASON = "dead-letter-reason";
    /** The last error: an HTTP status, an SMTP reply, an exception message. */
    public static final String CAUSE = "dead-letter-cause";
    /** The topic the record was read from. */
    public static final String TOPIC = "dead-letter-topic";
    /** Its partition there, when known. */
    public static final String PARTITION = "dead-letter-partition";
    /** Its offset there, when known. */
    public static final String OFFSET = "dead-letter-offset";
    /** How many delivery attempts were made. */
    public static final String ATTEMPTS = "dead-letter-attempts";

    /** The {@link #REASON} of a command whose retry schedule is spent. */
    public static final String RETRIES_EXHAUSTED = "retries_exhausted";

    private DeadLetterHeaders() {
    }
}
