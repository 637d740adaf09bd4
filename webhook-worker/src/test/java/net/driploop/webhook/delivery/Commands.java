package net.driploop.webhook.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Json;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CallWebhook;
import net.driploop.model.command.CommandTypes;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Publishes commands and events as flow-engine and ingest-api do, and reads what the worker published. */
final class Commands {

    static final ObjectMapper JSON = Json.newMapper();
    private static KafkaProducer<String, String> producer;

    private Commands() {
    }

    static synchronized KafkaProducer<String, String> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    TestInfra.kafka().bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                    new StringSerializer(), new StringSerializer());
        }
        return producer;
    }

    /** A command of a new execution for {@code url}, with the standard payload unless a body is given. */
    static CallWebhook command(String appId, String url, Map<String, String> headers, Object body, Map<String, Object> data) {
        String execution = Ids.newId(Ids.EXECUTION);
        return new CallWebhook(CommandTypes.commandId(execution, "notify"), appId, "user_42", Ids.newId(Ids.FLOW), 1,
                execution, "notify", "POST", url, headers, body, data, Ids.newCorrelationId(), Timestamps.now());
    }

    /** Publishes the command as flow-engine does; returns where it landed. */
    static RecordMetadata publish(CallWebhook command) {
        try {
            return send(Topics.WEBHOOK_COMMANDS, Topics.userKey(command.appId(), command.externalUserId()), command.id(),
                    CommandTypes.CALL_WEBHOOK, command.correlationId(), JSON.writeValueAsString(command));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static RecordMetadata send(String topic, String key, String ceId, String type, String correlationId, String value) {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, value);
        header(record, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        header(record, CloudEventHeaders.ID, ceId);
        header(record, CloudEventHeaders.TYPE, type);
        header(record, CloudEventHeaders.SOURCE, CloudEventHeaders.source("test"));
        header(record, CloudEventHeaders.TIME, Timestamps.format(Timestamps.now()));
        header(record, CloudEventHeaders.CORRELATION_ID, correlationId);
        header(record, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        try {
            return producer().send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void header(ProducerRecord<String, String> record, String name, String value) {
        record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The values published on {@code topic} whose payload mentions {@code text}, parsed, in order. */
    static List<Map<String, Object>> published(TopicReader reader, String text) {
        return reader.poll(m -> m.value() != null && m.value().contains(text)).stream().map(m -> {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> value = JSON.readValue(m.value(), Map.class);
                return value;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
