package net.driploop.webhook.delivery;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.messaging.Outages;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Records attempts' outcomes in batches: each batch is one transaction with one update of the ledger rows and one
 * insert of their outbox rows (results, log entries, dead letters). Outcomes that arrive while
 * {@value #CONCURRENT_BATCHES} batches are being written wait for the next one, so under load a transaction carries
 * many outcomes and when idle an outcome is written at once. Only the attempt that saw the row's attempt count
 * records: a duplicate attempt (after a lease ran out) changes nothing, and its outbox rows are not written. While
 * PostgreSQL cannot be reached a batch waits for it ({@link Outages}), however long; its attempts keep their
 * deliveries from this replica's claims meanwhile ({@link Deliveries#start}).
 */
@ApplicationScoped
public class OutcomeRecorder {

    static final int CONCURRENT_BATCHES = 4;
    static final int MAX_BATCH = 500;

    /**
     * Updates the rows still as their attempt found them: pending ({@code was}, bound per row rather than written as
     * a constant, so that the planner cannot read "every pending row" off a partial index whose statistics may
     * date from when few rows were pending) with {@code seen} attempts. Each row is found through the primary key.
     */
    private static final String FINISH = """
            UPDATE webhook.deliveries d
            SET status = r.status, attempts = r.attempts, due_at = r.due_at, last_status = r.last_status,
                last_error = r.last_error, updated_at = now()
            FROM unnest($1::text[], $2::text[], $3::integer[], $4::timestamptz[], $5::integer[], $6::text[], $7::integer[],
                        $8::text[])
                 AS r(id, status, attempts, due_at, last_status, last_error, seen, was)
            WHERE d.id = r.id AND d.status = r.was AND d.attempts = r.seen
            RETURNING d.id""";

    /**
     * What one attempt came to: the row's new status, attempts and due time (pending only), the last HTTP status and
     * error, the outbox rows, and {@code seen}, the attempt count it started from.
     */
    record Outcome(String id, String status, int attempts, OffsetDateTime due, Integer httpStatus, String error,
            int seen, List<OutboxRecord> records) {
    }

    private record Pending(Outcome outcome, CompletableFuture<Boolean> recorded) {
    }

    private final Pool pool;
    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final Outages outages;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private int writing;

    public OutcomeRecorder(Pool pool, OutboxWriter outbox, OutboxRelay relay, Outages outages) {
        this.pool = pool;
        this.outbox = outbox;
        this.relay = relay;
        this.outages = outages;
    }

    /** Completes with true once the outcome is committed, false if another attempt recorded first; fails if it could not be written. */
    Uni<Boolean> record(Outcome outcome) {
        CompletableFuture<Boolean> recorded = new CompletableFuture<>();
        queue.add(new Pending(outcome, recorded));
        writeNext();
        return Uni.createFrom().completionStage(recorded);
    }

    private void writeNext() {
        List<Pending> batch = new ArrayList<>();
        synchronized (this) {
            if (writing >= CONCURRENT_BATCHES || queue.isEmpty()) {
                return;
            }
            Pending next;
            while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
                batch.add(next);
            }
            writing++;
        }
        // one lock order for every transaction: rows by id
        batch.sort(Comparator.comparing(p -> p.outcome().id()));
        // a receiver has been called for each of these: an outage is waited out, lest the sweep call it again
        outages.waitingOut(() -> write(batch), () -> "recording " + batch.size() + " webhook outcomes",
                        failure -> true, Deliveries.RETRIES)
                .subscribe().with(done -> finished(), failure -> {
                    Log.warnf("could not record %d webhook outcomes (their deliveries are attempted again after their "
                            + "lease): %s", batch.size(), failure.getMessage());
                    batch.forEach(p -> p.recorded().completeExceptionally(failure));
                    finished();
                });
    }

    private void finished() {
        synchronized (this) {
            writing--;
        }
        writeNext();
    }

    private Uni<Void> write(List<Pending> batch) {
        int n = batch.size();
        String[] ids = new String[n];
        String[] statuses = new String[n];
        Integer[] attempts = new Integer[n];
        OffsetDateTime[] due = new OffsetDateTime[n];
        Integer[] httpStatuses = new Integer[n];
        String[] errors = new String[n];
        Integer[] seen = new Integer[n];
        String[] was = new String[n];
        for (int i = 0; i < n; i++) {
            Outcome o = batch.get(i).outcome();
            ids[i] = o.id();
            statuses[i] = o.status();
            attempts[i] = o.attempts();
            due[i] = o.due();
            httpStatuses[i] = o.httpStatus();
            errors[i] = o.error();
            seen[i] = o.seen();
            was[i] = Deliveries.PENDING;
        }
        Uni<Written> work = pool.withTransaction(conn -> conn.preparedQuery(FINISH)
                .execute(Tuple.from(List.<Object>of(ids, statuses, attempts, due, httpStatuses, errors, seen, was)))
                .flatMap(rows -> {
                    Set<String> updated = new HashSet<>();
                    for (Row row : rows) {
                        updated.add(row.getString("id"));
                    }
                    List<OutboxRecord> records = new ArrayList<>();
                    batch.stream().filter(p -> updated.contains(p.outcome().id()))
                            .forEach(p -> records.addAll(p.outcome().records()));
                    Uni<List<StoredRecord>> stored = records.isEmpty() ? Uni.createFrom().item(List.of())
                            : outbox.insert(conn, records);
                    return stored.map(s -> new Written(updated, s));
                }));
        return relay.publishAfter(work, Written::stored).invoke(written -> batch.forEach(
                p -> p.recorded().complete(written.updated().contains(p.outcome().id())))).replaceWithVoid();
    }

    private record Written(Set<String> updated, List<StoredRecord> stored) {
    }
}
