package net.driploop.kit.outbox;

import com.fasterxml.jackson.databind.util.RawValue;
import net.driploop.model.DeadLetterHeaders;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Why a user's command goes to the dead-letter topic of {@code sourceTopic}, and where it was read from (partition
 * and offset, null when unknown). {@link #of} makes the outbox record: the command as received, keyed and typed
 * as the original, with the {@link DeadLetterHeaders}.
 */
public record DeadLetter(String sourceTopic, Integer partition, Long offset, String reason, String cause,
        int attempts) {

    /** Longest cause sent: a header is no place for a whole SMTP transcript. */
    static final int MAX_CAUSE = 1000;

    /** A command whose retries ran out after {@code attempts} attempts, the last failing with {@code cause}. */
    public static DeadLetter retriesExhausted(String sourceTopic, Integer partition, Long offset, String cause,
            int attempts) {
        return new DeadLetter(sourceTopic, partition, offset, DeadLetterHeaders.RETRIES_EXHAUSTED, cause, attempts);
    }

    /** The headers that say why (those with no value are left out). */
    public Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(DeadLetterHeaders.REASON, reason);
        headers.put(DeadLetterHeaders.CAUSE, cause == null || cause.length() <= MAX_CAUSE ? cause
                : cause.substring(0, MAX_CAUSE));
        headers.put(DeadLetterHeaders.TOPIC, sourceTopic);
        headers.put(DeadLetterHeaders.PARTITION, partition == null ? null : partition.toString());
        headers.put(DeadLetterHeaders.OFFSET, offset == null ? null : offset.toString());
        headers.put(DeadLetterHeaders.ATTEMPTS, Integer.toString(attempts));
        headers.values().removeIf(java.util.Objects::isNull);
        return headers;
    }

    /**
     * The dead letter of a user's command for the outbox: {@code commandJson} (the command's JSON text) as its value,
     * on {@code {sourceTopic}.dlq}, with the command's id as {@code ce_id} and its type.
     */
    public OutboxRecord of(String id, String type, String appId, String externalUserId, String correlationId,
            String commandJson) {
        return OutboxRecord.forUser(Topics.dlq(sourceTopic), id, type, appId, externalUserId, correlationId,
                Timestamps.now(), new RawValue(commandJson), null).withHeaders(headers());
    }

    /**
     * The headers of a consumed record that goes to the dead-letter topic as it came (unreadable, or failed for
     * good): its own headers plus, as the Kafka connector gives the records it dead-letters itself,
     * {@code dead-letter-reason}, {@code -topic}, {@code -partition} and {@code -offset}.
     */
    public static RecordHeaders headersOf(ConsumerRecord<?, ?> record, String reason) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        new DeadLetter(record.topic(), record.partition(), record.offset(), reason, null, 0).headers()
                .forEach((name, value) -> {
                    if (!DeadLetterHeaders.ATTEMPTS.equals(name)) {
                        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
                    }
                });
        return headers;
    }
}
