package net.driploop.ingest.http;

import io.vertx.ext.web.RoutingContext;
import net.driploop.ingest.auth.Caller;
import net.driploop.ingest.ratelimit.RateLimitState;

/** What one HTTP request carries between filters, resources and mappers (kept on its RoutingContext). */
public final class RequestContext {

    private static final String CORRELATION_ID = "driploop.correlationId";
    private static final String CALLER = "driploop.caller";
    private static final String RATE_LIMIT = "driploop.rateLimit";
    private static final String STARTED = "driploop.startedNanos";

    private RequestContext() {
    }

    public static void begin(RoutingContext ctx, String correlationId) {
        ctx.put(CORRELATION_ID, correlationId);
        ctx.put(STARTED, System.nanoTime());
    }

    public static String correlationId(RoutingContext ctx) {
        return ctx.get(CORRELATION_ID);
    }

    public static long startedNanos(RoutingContext ctx) {
        Long started = ctx.get(STARTED);
        return started == null ? System.nanoTime() : started;
    }

    public static void caller(RoutingContext ctx, Caller caller) {
        ctx.put(CALLER, caller);
    }

    /** The authenticated caller, or null before authentication (or when it failed). */
    public static Caller caller(RoutingContext ctx) {
        return ctx.get(CALLER);
    }

    public static void rateLimit(RoutingContext ctx, RateLimitState state) {
        ctx.put(RATE_LIMIT, state);
    }

    public static RateLimitState rateLimit(RoutingContext ctx) {
        return ctx.get(RATE_LIMIT);
    }
}
