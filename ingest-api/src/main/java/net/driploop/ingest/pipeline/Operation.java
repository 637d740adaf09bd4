package net.driploop.ingest.pipeline;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlClient;

/** The database work of one validated public-API call. */
public interface Operation {

    /** Runs on {@code sql}: a transaction's connection, or the pool when {@link #singleStatement()}. */
    Uni<Result> execute(SqlClient sql, CallContext context);

    /** True when the work is one statement, atomic without an explicit transaction. */
    default boolean singleStatement() {
        return false;
    }

    /** The response and the outbox rows written with it. */
    record Result(int status, Object data, java.util.List<net.driploop.kit.outbox.StoredRecord> records) {
    }
}
