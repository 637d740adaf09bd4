package net.driploop.flow.trace;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import net.driploop.kit.admin.AdminGuard;
import net.driploop.kit.http.ApiException;
import net.driploop.kit.http.RequestContext;
import net.driploop.kit.http.Requests;
import net.driploop.kit.http.Responses;

import java.util.Map;

import static net.driploop.kit.http.ApiHeaders.AUTHORIZATION;

/** Admin API: the automation trace of one correlationId, every service's entries in time order. */
@Path("/admin/v1/traces")
@Produces(MediaType.APPLICATION_JSON)
public class TraceResource {

    /** Loose on purpose: any {@code cor_…} id up to this length is looked up, not only today's ULID form. */
    static final int MAX_CORRELATION_ID_LENGTH = 64;
    private static final String PREFIX = "cor_";

    private final AutomationLogRepository log;
    private final AdminGuard guard;
    private final Responses responses;
    private final Requests requests;

    public TraceResource(AutomationLogRepository log, AdminGuard guard, Responses responses, Requests requests) {
        this.log = log;
        this.guard = guard;
        this.responses = responses;
        this.requests = requests;
    }

    /**
     * 200 {@code {data: [entries], correlationId}}, where {@code correlationId} is, as in every envelope, this
     * request's own; 404 {@code not_found} when no entry carries the id, so that a mistyped id is obvious.
     */
    @GET
    @Path("/{correlationId}")
    public Uni<Response> trace(@PathParam("correlationId") String correlationId,
            @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        if (!correlationId.startsWith(PREFIX) || correlationId.length() > MAX_CORRELATION_ID_LENGTH) {
            throw ApiException.validation(Map.of("correlationId",
                    "must start with \"" + PREFIX + "\" and have at most " + MAX_CORRELATION_ID_LENGTH + " characters"));
        }
        return log.timeline(correlationId).map(entries -> {
            if (entries.isEmpty()) {
                throw ApiException.notFound("No automation-log entries for correlationId \"" + correlationId
                        + "\". Entries arrive within seconds of the call; check the id.");
            }
            return responses.success(200, entries, RequestContext.correlationId(requests.current()));
        });
    }
}
