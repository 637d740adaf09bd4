package net.driploop.flow.engine;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/** Small helpers for the engine's reactive SQL: parameter tuples of any length, rows as lists, steps in sequence. */
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
}
