package net.driploop.model;

/** CloudEvents binary-mode Kafka header names, and the correlation extension every record carries. */
public final class CloudEventHeaders {

    public static final String SPEC_VERSION = "ce_specversion";
    public static final String ID = "ce_id";
    public static final String TYPE = "ce_type";
    public static final String SOURCE = "ce_source";
    public static final String TIME = "ce_time";
    public static final String SUBJECT = "ce_subject";
    /** The correlationId of the API call that caused the record. */
    public static final String CORRELATION_ID = "ce_correlationid";
    public static final String CONTENT_TYPE = "content-type";

    public static final String SPEC_VERSION_VALUE = "1.0";
    public static final String JSON = "application/json";

    private CloudEventHeaders() {
    }

    /** The {@code ce_source} of a service, e.g. {@code /driploop/ingest-api}. */
    public static String source(String service) {
        return "/driploop/" + service;
    }
}
