package net.driploop.flow.trace;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.Outages;
import net.driploop.model.log.AutomationLogEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Stores every service's AutomationLogEntry records from {@code driploop.automation-log.v1}, a batch per statement. */
@ApplicationScoped
public class AutomationLogConsumer {

    private static final int MAX_LOGGED_VALUE = 200;

    private final AutomationLogRepository repository;
    private final ObjectMapper mapper;
    private final Outages outages;
    private final Counter stored;
    private final Counter skipped;

    public AutomationLogConsumer(AutomationLogRepository repository, ObjectMapper mapper, MeterRegistry registry,
            Outages outages) {
        this.repository = repository;
        this.mapper = mapper;
        this.outages = outages;
        this.stored = Counter.builder("driploop.trace.entries.stored")
                .description("Automation-log entries stored (redeliveries not counted)").register(registry);
        this.skipped = Counter.builder("driploop.trace.entries.skipped")
                .description("Automation-log records skipped because they cannot be read or stored").register(registry);
    }

    /**
     * Stores one polled batch. Records that cannot be read are logged (with topic, partition and offset, for
     * {@code kcat}) and skipped, here rather than by the connector's dead-letter strategy, which in batch mode
     * would dead-letter the good entries of the batch as well. The entry id is the record's {@code ce_id}, so
     * {@code ON CONFLICT (id) DO NOTHING} makes a redelivered record change nothing. While PostgreSQL is
     * unreachable the batch waits for it ({@link Outages}) and so do the partitions: the log has nowhere else to go.
     */
    @Incoming("automation-log")
    public Uni<Void> consume(ConsumerRecords<String, String> records) {
        // sorted by id (see AutomationLogRepository#insert); a duplicate within the batch is stored once
        Map<String, AutomationLogEntry> entries = new TreeMap<>();
        for (ConsumerRecord<String, String> record : records) {
            AutomationLogEntry entry = read(record);
            if (entry != null) {
                entries.putIfAbsent(entry.id(), entry);
            }
        }
        if (entries.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<AutomationLogEntry> batch = new ArrayList<>(entries.values());
        return outages.waitingOut(() -> store(batch), () -> batch.size() + " automation-log entries")
                .invoke(count -> stored.increment(count))
                .replaceWithVoid();
    }

    /** Stores the batch; if PostgreSQL refuses its data, stores the entries one by one and skips those it refuses. */
    private Uni<Integer> store(List<AutomationLogEntry> batch) {
        return repository.insert(batch)
                .onFailure(AutomationLogConsumer::isDataError).recoverWithUni(failure -> storeOneByOne(batch));
    }

    private Uni<Integer> storeOneByOne(List<AutomationLogEntry> batch) {
        return Multi.createFrom().iterable(batch)
                .onItem().transformToUniAndConcatenate(entry -> repository.insert(List.of(entry))
                        .onFailure(AutomationLogConsumer::isDataError).recoverWithItem(refused -> {
                            skipped.increment();
                            Log.warnf("skipped automation-log entry %s of %s: PostgreSQL refused it: %s",
                                    entry.id(), entry.correlationId(), refused.getMessage());
                            return 0;
                        }))
                .collect().with(Collectors.summingInt(Integer::intValue));
    }

    /** The record's entry, or null (logged and counted) when it is not a readable, complete AutomationLogEntry. */
    private AutomationLogEntry read(ConsumerRecord<String, String> record) {
        String problem;
        try {
            AutomationLogEntry entry = record.value() == null ? null
                    : mapper.readValue(record.value(), AutomationLogEntry.class);
            problem = entry == null ? "no value" : missingField(entry);
            if (problem == null) {
                return entry;
            }
        } catch (Exception e) {
            problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        }
        skipped.increment();
        String value = record.value();
        Log.warnf("skipped an unreadable automation-log record %s-%d@%d (key %s): %s; value: %s", record.topic(),
                record.partition(), record.offset(), record.key(), problem,
                value == null || value.length() <= MAX_LOGGED_VALUE ? value : value.substring(0, MAX_LOGGED_VALUE) + "…");
        return null;
    }

    private static String missingField(AutomationLogEntry entry) {
        if (blank(entry.id())) {
            return "id is missing";
        }
        if (blank(entry.correlationId())) {
            return "correlationId is missing";
        }
        if (entry.at() == null) {
            return "at is missing";
        }
        if (blank(entry.service())) {
            return "service is missing";
        }
        return blank(entry.type()) ? "type is missing" : null;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** PostgreSQL refused the data itself (class 22: e.g. a NUL character, a date out of range): retrying cannot help. */
    private static boolean isDataError(Throwable failure) {
        return failure instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().startsWith("22");
    }
}
