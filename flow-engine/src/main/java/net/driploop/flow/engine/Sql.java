package net.driploop.flow.engine;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/** Small helpers for the engine's reactive SQL: parameter tuples of any length, rows as lists, steps in sequence or pipelined. */
final class Sql {

    private Sql() {
    }

    /** The parameters {@code $1…$n}; nulls bind as SQL NULL. */
    static Tuple params(Object... values) {
        return Tuple.from(Arrays.asList(values));
    }

    static List<Row> list(Iterable<Row> rows) {
        List<Row> list = new ArrayList<>();
        rows.forEach(list::add);
        return list;
    }

    /** Runs the action for each item, one after the other, on the same connection. */
    static <T> Uni<Void> each(List<T> items, Function<T, Uni<?>> action) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (T item : items) {
            chain = chain.flatMap(v -> action.apply(item)).replaceWithVoid();
        }
        return chain;
    }

    /**
     * Runs the action for every item at once on the same connection: their statements are pipelined (sent without
     * waiting for each other's replies) while each item's own statements still run in order. For items that touch
     * disjoint rows, such as the executions of the timers one sweep claimed.
     */
    static <T> Uni<Void> all(List<T> items, Function<T, Uni<?>> action) {
        if (items.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> actions = new ArrayList<>(items.size());
        for (T item : items) {
            actions.add(Uni.createFrom().deferred(() -> action.apply(item)).replaceWithVoid());
        }
        return Uni.join().all(actions).andFailFast().replaceWithVoid();
    }
}
