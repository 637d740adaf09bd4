package net.driploop.flow.flows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import net.driploop.flow.definition.FlowDefinition;
import net.driploop.flow.definition.FlowDefinitionParser;
import net.driploop.flow.definition.FlowValidationException;
import net.driploop.kit.admin.AdminGuard;
import net.driploop.kit.http.ApiException;
import net.driploop.kit.http.JsonBodies;
import net.driploop.kit.http.RequestContext;
import net.driploop.kit.http.Requests;
import net.driploop.kit.http.Responses;
import net.driploop.model.ErrorCode;
import net.driploop.model.Timestamps;

import java.util.Optional;
import java.util.regex.Pattern;

import static net.driploop.kit.http.ApiHeaders.AUTHORIZATION;

/** Admin API: an app's flows, their versions and activation ({@code Authorization: Bearer $DRIPLOOP_ADMIN_TOKEN}). */
@Path("/admin/v1/apps/{appId}/flows")
@Produces(MediaType.APPLICATION_JSON)
public class FlowAdminResource {

    // flow-engine does not own apps, so it checks only the id format ingest-api gives them.
    private static final Pattern APP_ID = Pattern.compile("app_[0-9A-HJKMNP-TV-Z]{26}");

    private final FlowRepository flows;
    private final FlowDefinitionParser parser = new FlowDefinitionParser();
    private final AdminGuard guard;
    private final JsonBodies bodies;
    private final Responses responses;
    private final Requests requests;

    public FlowAdminResource(FlowRepository flows, AdminGuard guard, JsonBodies bodies, Responses responses,
            Requests requests) {
        this.flows = flows;
        this.guard = guard;
        this.bodies = bodies;
        this.responses = responses;
        this.requests = requests;
    }

    /** A submitted definition: the JSON as sent, which is stored, and what it means. */
    private record Submitted(ObjectNode json, FlowDefinition parsed) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(@PathParam("appId") String appId, String body,
            @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        checkApp(appId);
        Submitted definition = submitted(body);
        return flows.create(appId, definition.parsed(), definition.json(), Timestamps.now())
                .map(flow -> ok(201, flow));
    }

    @GET
    public Uni<Response> list(@PathParam("appId") String appId, @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        checkApp(appId);
        return flows.list(appId).map(list -> ok(200, list));
    }

    @GET
    @Path("/{flowId}")
    public Uni<Response> read(@PathParam("appId") String appId, @PathParam("flowId") String flowId,
            @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        checkApp(appId);
        return flows.find(appId, flowId).map(found -> ok(200, orNotFound(found, appId, flowId)));
    }

    @PUT
    @Path("/{flowId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> newVersion(@PathParam("appId") String appId, @PathParam("flowId") String flowId,
            String body, @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        checkApp(appId);
        Submitted definition = submitted(body);
        return flows.newVersion(appId, flowId, definition.parsed(), definition.json(), Timestamps.now())
                .map(found -> ok(200, orNotFound(found, appId, flowId)));
    }

    @POST
    @Path("/{flowId}/activate")
    public Uni<Response> activate(@PathParam("appId") String appId, @PathParam("flowId") String flowId,
            @HeaderParam(AUTHORIZATION) String authorization) {
        return setStatus(appId, flowId, FlowRepository.ACTIVE, authorization);
    }

    @POST
    @Path("/{flowId}/deactivate")
    public Uni<Response> deactivate(@PathParam("appId") String appId, @PathParam("flowId") String flowId,
            @HeaderParam(AUTHORIZATION) String authorization) {
        return setStatus(appId, flowId, FlowRepository.INACTIVE, authorization);
    }

    private Uni<Response> setStatus(String appId, String flowId, String status, String authorization) {
        guard.check(authorization);
        checkApp(appId);
        return flows.setStatus(appId, flowId, status, Timestamps.now())
                .map(found -> ok(200, orNotFound(found, appId, flowId)));
    }

    /** The body as a definition: 400 unless it is a JSON object, 422 with every problem unless it is valid. */
    private Submitted submitted(String body) {
        ObjectNode json = bodies.object(body);
        try {
            return new Submitted(json, parser.parse(json));
        } catch (FlowValidationException e) {
            throw new ApiException(ErrorCode.VALIDATION_ERROR, "Flow definition is invalid", e.details());
        }
    }

    private static void checkApp(String appId) {
        if (!APP_ID.matcher(appId).matches()) {
            throw ApiException.notFound("App \"" + appId + "\" not found.");
        }
    }

    private static FlowRepository.Flow orNotFound(Optional<FlowRepository.Flow> flow, String appId, String flowId) {
        return flow.orElseThrow(() -> ApiException.notFound("Flow \"" + flowId + "\" not found in app \""
                + appId + "\"."));
    }

    private Response ok(int status, Object data) {
        return responses.success(status, data, RequestContext.correlationId(requests.current()));
    }
}
