package net.driploop.flow.engine;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import net.driploop.kit.admin.AdminGuard;
import net.driploop.kit.http.ApiException;
import net.driploop.kit.http.RequestContext;
import net.driploop.kit.http.Requests;
import net.driploop.kit.http.Responses;

import java.util.Map;

import static net.driploop.kit.http.ApiHeaders.AUTHORIZATION;

/** Admin API: a user's executions with their steps ({@code Authorization: Bearer $DRIPLOOP_ADMIN_TOKEN}). */
@Path("/admin/v1/apps/{appId}/executions")
@Produces(MediaType.APPLICATION_JSON)
public class ExecutionAdminResource {

    private final ExecutionQueries queries;
    private final AdminGuard guard;
    private final Responses responses;
    private final Requests requests;

    ExecutionAdminResource(ExecutionQueries queries, AdminGuard guard, Responses responses, Requests requests) {
        this.queries = queries;
        this.guard = guard;
        this.responses = responses;
        this.requests = requests;
    }

    /** The user's executions, newest first (at most 100); an empty list for a user with none. */
    @GET
    public Uni<Response> list(@PathParam("appId") String appId, @QueryParam("externalUserId") String externalUserId,
            @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        if (externalUserId == null || externalUserId.isBlank()) {
            throw ApiException.validation(Map.of("externalUserId", "is required"));
        }
        return queries.forUser(appId, externalUserId)
                .map(executions -> responses.success(200, executions, RequestContext.correlationId(requests.current())));
    }
}
