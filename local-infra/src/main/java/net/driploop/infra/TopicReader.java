package net.driploop.infra;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Reads a whole topic from the beginning, for tests that check what was published. */
public final class TopicReader implements AutoCloseable {

    private final KafkaConsumer<String, String> consumer;
    private final List<Message> seen = new ArrayList<>();

    /** One record as a test sees it. */
    public record Message(String topic, int partition, long offset, String key, Map<String, String> headers,
            String value) {

        public String header(String name) {
            return headers.get(name);
        }
    }

    public TopicReader(String bootstrapServers, String topic) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Polls once more and returns every record read so far. */
    public synchronized List<Message> poll() {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
            Map<String, String> headers = new HashMap<>();
            for (Header header : record.headers()) {
                headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
            }
            seen.add(new Message(record.topic(), record.partition(), record.offset(), record.key(), headers,
                    record.value()));
        }
        return List.copyOf(seen);
    }

    /** Polls once more and returns the records read so far that match. */
    public List<Message> poll(Predicate<Message> filter) {
        return poll().stream().filter(filter).toList();
    }

    @Override
    public synchronized void close() {
        consumer.close();
    }
}
