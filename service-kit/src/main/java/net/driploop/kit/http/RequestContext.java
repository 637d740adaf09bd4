package net.driploop.kit.http;

import io.vertx.ext.web.RoutingContext;

/** What one HTTP request carries between filters, resources and mappers (kept on its RoutingContext). */
public final class RequestContext {

    private static final String CORRELATION_ID = "driploop.correlationId";

    private RequestContext() {
    }

    public static void begin(RoutingContext ctx, String correlationId) {
        ctx.put(CORRELATION_ID, correlationId);
    }

    public static String correlationId(RoutingContext ctx) {
        return ctx.get(CORRELATION_ID);
    }
}
