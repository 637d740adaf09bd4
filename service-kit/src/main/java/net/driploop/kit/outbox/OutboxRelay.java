package net.driploop.kit.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import net.driploop.kit.config.OutboxConfig;
import net.driploop.kit.http.JsonCodec;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.log.AutomationLogEntry;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Relays committed outbox rows to Kafka (idempotent producer, {@code acks=all}) and deletes each row once
 * the broker has acknowledged it. Rows reach it right after commit ({@link #publish}) or from the sweep; a row
 * whose send fails is released for the sweep to retry, so nothing is lost while Kafka is down.
 */
@ApplicationScoped
public class OutboxRelay {

    /** How long after a failed send the relay stops sending and failed rows wait before the sweep retries them. */
    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(1);
    /** How often acknowledged rows are deleted (and failed ones released), in one statement each. */
    private static final Duration COMPLETE_INTERVAL = Duration.ofMillis(25);


    private final Pool pool;
    private final String bootstrapServers;
    private final String source;
    private final String clientId;
    private final String deleteAcked;
    private final String releaseFailed;
    private final Duration sendTimeout;
    private final BlockingQueue<StoredRecord> queue;
    private final ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> failed = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<String> logPublishedTypes;
    private final String service;
    private final JsonCodec json;
    private final ExecutorService logSender = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "outbox-published-log");
        thread.setDaemon(true);
        return thread;
    });
    private final Counter published;
    private final Counter sendFailures;
    private volatile KafkaProducer<String, byte[]> producer;
    private volatile boolean running;
    /** Until when sends are skipped after a failure: while Kafka is down, rows go straight back to the sweep. */
    private volatile long pausedUntilNanos;
    private Thread sender;
    private Thread completer;

    public OutboxRelay(Pool pool, OutboxConfig config, MeterRegistry registry, JsonCodec json,
            @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "localhost:9092") String bootstrapServers,
            @ConfigProperty(name = "quarkus.application.name") String service) {
        this.pool = pool;
        this.bootstrapServers = bootstrapServers;
        this.source = CloudEventHeaders.source(service);
        this.service = service;
        this.json = json;
        this.logPublishedTypes = Set.copyOf(config.logPublishedTypes().orElse(List.of()));
        this.clientId = service + "-outbox";
        this.deleteAcked = "DELETE FROM " + config.table() + " WHERE id = ANY($1)";
        this.releaseFailed = "UPDATE " + config.table() + " SET lease_until = now() + make_interval(secs => $2) WHERE id = ANY($1)";
        this.sendTimeout = config.sendTimeout();
        if (sendTimeout.multipliedBy(2).compareTo(config.lease()) > 0) {
            throw new IllegalArgumentException("driploop.outbox.send-timeout must be at most half of driploop.outbox.lease");
        }
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        this.published = Counter.builder("driploop.outbox.published").description("Outbox rows acknowledged by Kafka")
                .register(registry);
        this.sendFailures = Counter.builder("driploop.outbox.send.failures")
                .description("Outbox rows whose send failed (retried by the sweep)").register(registry);
    }

    void start(@Observes StartupEvent event) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 65536);
        // bounded waits, far inside the outbox lease, so that a row is never sent twice at once
        int timeout = (int) sendTimeout.toMillis();
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout / 3);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout / 3);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout);
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        running = true;
        sender = daemon("outbox-sender", this::sendLoop);
        completer = daemon("outbox-completer", this::completeLoop);
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        try {
            sender.join(5000);
            logSender.shutdown();
            logSender.awaitTermination(5, TimeUnit.SECONDS);
            producer.flush();
            producer.close(Duration.ofSeconds(5));
            completer.join(5000);
            complete();
            List<Long> unsent = new ArrayList<>();
            queue.forEach(r -> unsent.add(r.rowId()));
            release(unsent);
        } catch (Exception e) {
            Log.warn("outbox relay did not stop cleanly; leased rows are re-sent after their lease", e);
        }
    }

    /**
     * Hands committed rows to the relay. Never blocks: if the queue is full the rows keep their lease and the
     * sweep sends them later.
     */
    public void publish(Collection<StoredRecord> records) {
        for (StoredRecord record : records) {
            if (!queue.offer(record)) {
                return;
            }
        }
    }

    /**
     * Runs {@code work} (which commits outbox rows) and hands its rows to the relay once it succeeds, even if
     * the caller stops listening first (a client that disconnects mid-request): the work is subscribed to
     * once, eagerly, and the returned Uni shares its outcome.
     */
    public <T> Uni<T> publishAfter(Uni<T> work, Function<T, Collection<StoredRecord>> records) {
        Uni<T> shared = work.memoize().indefinitely();
        shared.subscribe().with(item -> publish(records.apply(item)), failure -> {
            // the caller sees the failure through the shared Uni
        });
        return shared;
    }

    /** Rows queued or sent but not yet acknowledged and deleted. */
    public int pending() {
        return queue.size() + inFlight.get();
    }

    private void sendLoop() {
        List<StoredRecord> batch = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                StoredRecord first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 999);
                for (StoredRecord record : batch) {
                    if (System.nanoTime() - pausedUntilNanos < 0) {
                        inFlight.incrementAndGet();
                        failed.add(record.rowId());
                    } else {
                        send(record);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                Log.error("outbox relay send loop failed; rows will be re-sent by the sweep", e);
            } finally {
                batch.clear();
            }
        }
    }

    private void send(StoredRecord record) {
        inFlight.incrementAndGet();
        try {
            RecordHeaders headers = new RecordHeaders();
            header(headers, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
            header(headers, CloudEventHeaders.ID, record.id());
            header(headers, CloudEventHeaders.TYPE, record.type());
            header(headers, CloudEventHeaders.SOURCE, source);
            header(headers, CloudEventHeaders.TIME, record.time());
            if (record.subject() != null) {
                header(headers, CloudEventHeaders.SUBJECT, record.subject());
            }
            header(headers, CloudEventHeaders.CORRELATION_ID, record.correlationId());
            header(headers, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
            if (record.headers() != null) {
                json.readMap(record.headers()).forEach((name, value) -> header(headers, name, String.valueOf(value)));
            }
            ProducerRecord<String, byte[]> producerRecord = new ProducerRecord<>(record.topic(), null, record.key(),
                    record.payload().getBytes(StandardCharsets.UTF_8), headers);
            producer.send(producerRecord, (metadata, error) -> {
                if (error == null) {
                    acked.add(record.rowId());
                    if (logPublishedTypes.contains(record.type())) {
                        logSender.execute(() -> logPublished(record, metadata));
                    }
                } else {
                    pause();
                    failed.add(record.rowId());
                }
            });
        } catch (Exception e) {
            // a row that cannot be sent now: the sweep retries it
            pause();
            failed.add(record.rowId());
        }
    }

    /**
     * Publishes {@code command.published} for an acknowledged command (its id is {@code {executionId}:{stepId}},
     * its key {@code {appId}:{externalUserId}}). Best effort: the command itself is already safe on Kafka.
     */
    private void logPublished(StoredRecord record, RecordMetadata metadata) {
        int colon = record.id().lastIndexOf(':');
        int keyColon = record.key().indexOf(':');
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("commandId", record.id());
        detail.put("commandType", record.type());
        detail.put("topic", metadata.topic());
        detail.put("partition", metadata.partition());
        detail.put("offset", metadata.offset());
        AutomationLogEntry entry = new AutomationLogEntry(Ids.newId(Ids.LOG_ENTRY), Timestamps.now(), service,
                "command.published", record.correlationId(), keyColon > 0 ? record.key().substring(0, keyColon) : null,
                record.subject(), null, colon > 0 ? record.id().substring(0, colon) : null,
                colon > 0 ? record.id().substring(colon + 1) : null, detail);
        RecordHeaders headers = new RecordHeaders();
        header(headers, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        header(headers, CloudEventHeaders.ID, entry.id());
        header(headers, CloudEventHeaders.TYPE, AutomationLogEntry.CE_TYPE);
        header(headers, CloudEventHeaders.SOURCE, source);
        header(headers, CloudEventHeaders.TIME, Timestamps.format(entry.at()));
        header(headers, CloudEventHeaders.CORRELATION_ID, record.correlationId());
        header(headers, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        try {
            producer.send(new ProducerRecord<>(Topics.AUTOMATION_LOG, null, record.correlationId(),
                    json.write(entry).getBytes(StandardCharsets.UTF_8), headers));
        } catch (RuntimeException e) {
            Log.warnf("could not log the publication of %s: %s", record.id(), e.getMessage());
        }
    }

    private static void header(RecordHeaders headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    private void pause() {
        pausedUntilNanos = System.nanoTime() + RETRY_BACKOFF.toNanos();
    }

    /**
     * Deletes acknowledged rows every {@link #COMPLETE_INTERVAL} at most: a row already on Kafka only has to be gone
     * before its lease runs out, and one statement for many rows costs PostgreSQL far less than one per send.
     */
    private void completeLoop() {
        while (running) {
            try {
                long started = System.nanoTime();
                if (!acked.isEmpty() || !failed.isEmpty()) {
                    complete();
                }
                long left = COMPLETE_INTERVAL.toNanos() - (System.nanoTime() - started);
                if (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                Log.warn("could not complete sent outbox rows; retrying", e);
            }
        }
    }

    /** Deletes acknowledged rows and releases failed ones, in batches. */
    private void complete() {
        List<Long> done = drain(acked);
        if (!done.isEmpty()) {
            try {
                pool.preparedQuery(deleteAcked)
                        .execute(Tuple.of(done.toArray(Long[]::new)))
                        .await().atMost(Duration.ofSeconds(30));
                published.increment(done.size());
                inFlight.addAndGet(-done.size());
            } catch (RuntimeException e) {
                acked.addAll(done);
                throw e;
            }
        }
        List<Long> retry = drain(failed);
        if (!retry.isEmpty()) {
            sendFailures.increment(retry.size());
            inFlight.addAndGet(-retry.size());
            release(retry);
        }
    }

    private void release(List<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        try {
            pool.preparedQuery(releaseFailed)
                    .execute(Tuple.of(ids.toArray(Long[]::new), (double) RETRY_BACKOFF.toSeconds()))
                    .await().atMost(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            Log.warn("could not release outbox rows; they are retried when their lease runs out", e);
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static List<Long> drain(ConcurrentLinkedQueue<Long> source) {
        List<Long> out = new ArrayList<>();
        Long id;
        while (out.size() < 5000 && (id = source.poll()) != null) {
            out.add(id);
        }
        return out;
    }
}
