package net.driploop.kit.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.logging.Log;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import net.driploop.model.Envelope;
import net.driploop.model.ErrorCode;
import net.driploop.model.Ids;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.MDC;

/**
 * Router-level plumbing that every response goes through, whether a resource answered or not: a new
 * correlationId per request (in the MDC for logging), and the error envelope for
 * unknown routes and for failures raised before a resource runs (oversized body, broken request).
 */
@ApplicationScoped
public class HttpEnvelopeRoutes {

    public static final String MDC_CORRELATION_ID = "correlationId";

    private final ObjectMapper mapper;
    private final long maxBodyBytes;

    public HttpEnvelopeRoutes(ObjectMapper mapper,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
        this.mapper = mapper;
        this.maxBodyBytes = maxBodySize.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::begin);
        router.route().order(Integer.MIN_VALUE).failureHandler(this::failure);
        router.route().order(Integer.MAX_VALUE).handler(ctx ->
                write(ctx, ErrorCode.NOT_FOUND, "No route for " + ctx.request().method() + " " + ctx.request().path()));
    }

    private void begin(RoutingContext ctx) {
        String correlationId = Ids.newCorrelationId();
        RequestContext.begin(ctx, correlationId);
        MDC.put(MDC_CORRELATION_ID, correlationId);
        if (declaredLength(ctx) > maxBodyBytes) {
            // refused before the body is read; a chunked body past the limit is cut off by the server itself
            write(ctx, ErrorCode.PAYLOAD_TOO_LARGE, "Request body is larger than " + maxBodyBytes + " bytes.");
            return;
        }
        ctx.next();
    }

    private static long declaredLength(RoutingContext ctx) {
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        try {
            return length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void failure(RoutingContext ctx) {
        if (ctx.response().headWritten()) {
            return;
        }
        int status = ctx.statusCode();
        ErrorCode code = switch (status) {
            case 400 -> ErrorCode.BAD_REQUEST;
            case 404 -> ErrorCode.NOT_FOUND;
            case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
            default -> status >= 400 && status < 500 ? ErrorCode.BAD_REQUEST : ErrorCode.INTERNAL_ERROR;
        };
        if (code == ErrorCode.INTERNAL_ERROR) {
            Log.errorf(ctx.failure(), "request failed before reaching a resource: %s %s",
                    ctx.request().method(), ctx.request().path());
        }
        String message = switch (code) {
            case PAYLOAD_TOO_LARGE -> "Request body is too large.";
            case INTERNAL_ERROR -> "An unexpected server error occurred.";
            default -> "The request was malformed.";
        };
        write(ctx, code, message);
    }

    private void write(RoutingContext ctx, ErrorCode code, String message) {
        String correlationId = RequestContext.correlationId(ctx);
        if (correlationId == null) {
            correlationId = Ids.newCorrelationId();
        }
        try {
            ctx.response().setStatusCode(code.status())
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(mapper.writeValueAsString(Envelope.failure(code, message, null, correlationId)));
        } catch (JsonProcessingException e) {
            ctx.response().setStatusCode(500).end();
        }
    }
}
