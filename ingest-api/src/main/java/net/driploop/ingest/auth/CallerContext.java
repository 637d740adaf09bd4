package net.driploop.ingest.auth;

import io.vertx.ext.web.RoutingContext;

/** The authenticated caller of a public-API request, kept on its RoutingContext for the error path. */
public final class CallerContext {

    private static final String CALLER = "driploop.caller";

    private CallerContext() {
    }

    public static void set(RoutingContext ctx, Caller caller) {
        ctx.put(CALLER, caller);
    }

    /** The caller, or null before authentication (or when it failed). */
    public static Caller get(RoutingContext ctx) {
        return ctx.get(CALLER);
    }
}
