package net.driploop.email.delivery;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Runs work submitted item by item in batches, one batch at a time: whatever was submitted while a batch ran goes
 * into the next one (up to {@code maxBatch}). Under load, many items share one transaction and one statement;
 * alone, an item runs at once. Items whose keys (e.g. a command id) are already in the batch wait for a later
 * one, so one statement never sees two of them. If a batch fails for a reason that may be one item's
 * ({@code splitOn}), its items are run again one by one, so that a bad item fails alone.
 */
final class Batcher<I, O> {

    private record Pending<I, O>(I item, UniEmitter<? super O> emitter) {
    }

    private final int maxBatch;
    private final Function<List<I>, Uni<List<O>>> work;
    private final Function<I, List<Object>> keys;
    private final Predicate<Throwable> splitOn;
    private final ArrayDeque<Pending<I, O>> waiting = new ArrayDeque<>();
    private boolean running;

    /**
     * @param work  runs one batch; its list of results is in the order of the items
     * @param keys  what two items of one batch must not share
     * @param splitOn  failures after which the items are run again one by one
     */
    Batcher(int maxBatch, Function<List<I>, Uni<List<O>>> work, Function<I, List<Object>> keys,
            Predicate<Throwable> splitOn) {
        this.maxBatch = maxBatch;
        this.work = work;
        this.keys = keys;
        this.splitOn = splitOn;
    }

    /** Completes with the item's result once the batch it went into has run. */
    Uni<O> submit(I item) {
        return Uni.createFrom().emitter(emitter -> {
            synchronized (this) {
                waiting.add(new Pending<>(item, emitter));
            }
            next();
        });
    }

    private void next() {
        List<Pending<I, O>> batch = new ArrayList<>();
        synchronized (this) {
            if (running || waiting.isEmpty()) {
                return;
            }
            // keys of items taken, and of items left waiting: a later item with one of them waits too, in order
            Set<Object> taken = new HashSet<>();
            Iterator<Pending<I, O>> it = waiting.iterator();
            while (it.hasNext() && batch.size() < maxBatch) {
                Pending<I, O> pending = it.next();
                List<Object> itemKeys = keys.apply(pending.item());
                boolean free = itemKeys.stream().noneMatch(taken::contains);
                taken.addAll(itemKeys);
                if (free) {
                    batch.add(pending);
                    it.remove();
                }
            }
            running = true;
        }
        run(batch).subscribe().with(ignored -> done(), failure -> done());
    }

    private void done() {
        synchronized (this) {
            running = false;
        }
        next();
    }

    private Uni<Void> run(List<Pending<I, O>> batch) {
        List<I> items = batch.stream().map(Pending::item).toList();
        return Uni.createFrom().deferred(() -> work.apply(items))
                .onItemOrFailure().transformToUni((results, failure) -> {
                    if (failure == null && results.size() == batch.size()) {
                        for (int i = 0; i < batch.size(); i++) {
                            batch.get(i).emitter().complete(results.get(i));
                        }
                        return Uni.createFrom().voidItem();
                    }
                    Throwable cause = failure != null ? failure
                            : new IllegalStateException(results.size() + " results for " + batch.size() + " items");
                    if (batch.size() == 1 || !splitOn.test(cause)) {
                        batch.forEach(pending -> pending.emitter().fail(cause));
                        return Uni.createFrom().voidItem();
                    }
                    return Multi.createFrom().iterable(batch)
                            .onItem().transformToUniAndConcatenate(pending -> run(List.of(pending)))
                            .collect().last().replaceWithVoid();
                });
    }
}
