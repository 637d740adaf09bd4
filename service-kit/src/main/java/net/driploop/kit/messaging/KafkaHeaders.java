package net.driploop.kit.messaging;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;

/** Reads the text headers (CloudEvents attributes) of consumed Kafka records. */
public final class KafkaHeaders {

    private KafkaHeaders() {
    }

    /** The last value of header {@code name} as UTF-8 text, or null when the record (or its headers) lack it. */
    public static String text(Headers headers, String name) {
        Header header = headers == null ? null : headers.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
