package net.driploop.kit.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The transactional outbox of a service and its relay to Kafka ({@code DRIPLOOP_OUTBOX_*}). */
@ConfigMapping(prefix = "driploop.outbox")
public interface OutboxConfig {

    /** The outbox table, schema-qualified (each service owns its own, e.g. {@code ingest.outbox}). */
    String table();

    /** How long a relay owns a row it is sending before another relay may send it. */
    @WithDefault("PT30S")
    Duration lease();

    /** How long the producer tries to deliver a row before giving it back to the sweep; at most half the lease. */
    @WithDefault("PT12S")
    Duration sendTimeout();

    /** How often the sweep looks for rows whose lease ran out (a Quarkus scheduler period, e.g. 1s). */
    @WithDefault("1s")
    String sweepInterval();

    /** Most rows claimed by one sweep. */
    @WithDefault("1000")
    int sweepBatch();

    /**
     * {@code ce_type}s of records (commands) whose publication is itself logged: once Kafka acknowledges one,
     * the relay publishes a {@code command.published} automation-log entry with its topic, partition and offset.
     */
    Optional<List<String>> logPublishedTypes();

    /** Most rows waiting in memory for the relay; past it rows wait for the sweep. */
    @WithDefault("50000")
    int queueCapacity();
}
