package net.driploop.flow.engine;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Settings of the execution engine ({@code DRIPLOOP_ENGINE_*}). */
@ConfigMapping(prefix = "driploop.engine")
public interface EngineConfig {

    /** How often each replica looks for due timers; well under a second keeps wake-up lateness ≤ 1 s. */
    @WithDefault("PT0.2S")
    Duration sweepInterval();

    /** Most timers one sweep transaction claims; a full batch is followed at once by the next. */
    @WithDefault("500")
    int sweepBatch();

    /**
     * How many sweep transactions one replica runs at once when timers are due; they claim disjoint batches
     * ({@code SKIP LOCKED}), so more of them fire more timers per second.
     */
    @WithDefault("4")
    int sweepConcurrency();

    /**
     * How long the ids of applied records are kept to skip redeliveries. Kafka redelivers a record only while
     * the topic keeps it (7 days by default), so the default outlives that.
     */
    @WithDefault("P8D")
    Duration processedRetention();

    /**
     * How long automation-log entries are kept for {@code GET /admin/v1/traces/{correlationId}}; older ones are
     * deleted. Executions and their steps are kept regardless.
     */
    @WithDefault("P30D")
    Duration traceRetention();

    /**
     * How many users' records one events consumer applies at once from a polled batch, each user's in order;
     * they share the PostgreSQL pool ({@code quarkus.datasource.reactive.max-size}).
     */
    @WithDefault("32")
    int concurrency();

    /** Whether this replica sweeps timers at all (tests that drive sweeps themselves turn it off). */
    @WithDefault("true")
    boolean sweepEnabled();
}
