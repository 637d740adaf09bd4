package net.driploop.kit.http;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import net.driploop.model.ErrorCode;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/**
 * Turns every failure into the error envelope, so that clients see one shape whatever went wrong. A
 * service can record refused requests through a {@link RefusedRequestRecorder} bean.
 */
public class ExceptionMappers {

    private final Requests requests;
    private final Responses responses;
    private final Instance<RefusedRequestRecorder> recorders;

    public ExceptionMappers(Requests requests, Responses responses, Instance<RefusedRequestRecorder> recorders) {
        this.requests = requests;
        this.responses = responses;
        this.recorders = recorders;
    }
    @ServerExceptionMapper
    public Uni<Response> mapApiException(ApiException e) {
        return respond(e.code(), e.getMessage(), e.details());
    }

    @ServerExceptionMapper
    public Uni<Response> mapNotFound(NotFoundException e) {
        RoutingContext rc = requests.current();
        return respond(ErrorCode.NOT_FOUND, "No route for " + rc.request().method() + " " + rc.request().path(), null);
    }

    @ServerExceptionMapper
    public Uni<Response> mapNotAllowed(NotAllowedException e) {
        RoutingContext rc = requests.current();
        return respond(ErrorCode.METHOD_NOT_ALLOWED,
                "Method " + rc.request().method() + " is not allowed on " + rc.request().path(), null);
    }

    @ServerExceptionMapper
    public Uni<Response> mapNotSupported(NotSupportedException e) {
        return respond(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json.", null);
    }

    @ServerExceptionMapper
    public Uni<Response> mapWebApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return mapUnexpected(e);
        }
        ErrorCode code = switch (status) {
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 404 -> ErrorCode.NOT_FOUND;
            case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
            case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
            case 415 -> ErrorCode.UNSUPPORTED_MEDIA_TYPE;
            default -> ErrorCode.BAD_REQUEST;
        };
        return respond(code, code == ErrorCode.PAYLOAD_TOO_LARGE ? "Request body is too large."
                : "The request was malformed.", null);
    }

    @ServerExceptionMapper
    public Uni<Response> mapUnexpected(Throwable e) {
        RoutingContext rc = requests.current();
        if (Unavailable.isUnavailable(e)) {
            Log.warnf("database unavailable while serving %s %s: %s", rc.request().method(), rc.request().path(),
                    e.getMessage());
            return Uni.createFrom().item(Response.fromResponse(responses.error(ErrorCode.SERVICE_UNAVAILABLE,
                    "The service is temporarily unavailable; nothing was changed. Retry shortly.", null,
                    RequestContext.correlationId(rc))).header("Retry-After", "5").build());
        }
        Log.errorf(e, "unexpected error serving %s %s", rc.request().method(), rc.request().path());
        return respond(ErrorCode.INTERNAL_ERROR, "An unexpected server error occurred.", null);
    }

    private Uni<Response> respond(ErrorCode code, String message, Map<String, ?> details) {
        RoutingContext rc = requests.current();
        Response response = responses.error(code, message, details, RequestContext.correlationId(rc));
        if (recorders.isUnsatisfied()) {
            return Uni.createFrom().item(response);
        }
        return recorders.get().record(rc, code)
                .replaceWith(response)
                .onFailure().recoverWithItem(failure -> {
                    Log.warn("could not record a refused request", failure);
                    return response;
                });
    }
}
