package net.driploop.ingest.app;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import net.driploop.kit.admin.AdminGuard;
import net.driploop.ingest.auth.ApiKeyAuthenticator;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.kit.http.ApiException;
import net.driploop.kit.http.JsonBodies;
import net.driploop.kit.http.RequestContext;
import net.driploop.kit.http.Requests;
import net.driploop.kit.http.Responses;
import net.driploop.ingest.http.Validator;
import net.driploop.model.Timestamps;

import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import static net.driploop.kit.http.ApiHeaders.AUTHORIZATION;

/** Admin API: apps and their API keys ({@code Authorization: Bearer $DRIPLOOP_ADMIN_TOKEN}). */
@Path("/admin/v1/apps")
@Produces(MediaType.APPLICATION_JSON)
public class AppAdminResource {

    private static final Set<String> DELETE_POLICIES = Set.of("deactivate", "delete");
    private static final int MAX_NAME_LENGTH = 200;

    private final AppRepository apps;
    private final AdminGuard guard;
    private final ApiKeyAuthenticator authenticator;
    private final JsonBodies bodies;
    private final Responses responses;
    private final Requests requests;
    private final IngestConfig config;

    public AppAdminResource(AppRepository apps, AdminGuard guard, ApiKeyAuthenticator authenticator,
            JsonBodies bodies, Responses responses, Requests requests, IngestConfig config) {
        this.apps = apps;
        this.guard = guard;
        this.authenticator = authenticator;
        this.bodies = bodies;
        this.responses = responses;
        this.requests = requests;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(String body, @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        Validator v = new Validator(bodies.object(body), config.limits());
        String name = v.requiredString("name", MAX_NAME_LENGTH);
        String policy = deletePolicy(v);
        v.throwIfInvalid();
        return apps.create(name, policy == null ? "deactivate" : policy, Timestamps.now())
                .map(app -> ok(201, app));
    }

    @GET
    public Uni<Response> list(@HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        return apps.list().map(list -> ok(200, list));
    }

    @GET
    @Path("/{appId}")
    public Uni<Response> read(@PathParam("appId") String appId, @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        return apps.find(appId).map(found -> ok(200, orNotFound(found, appId)));
    }

    @PATCH
    @Path("/{appId}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> update(@PathParam("appId") String appId, String body,
            @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        Validator v = new Validator(bodies.object(body), config.limits());
        String name = v.optionalString("name", MAX_NAME_LENGTH);
        String policy = deletePolicy(v);
        v.throwIfInvalid();
        return apps.update(appId, name, policy, Timestamps.now()).map(found -> ok(200, orNotFound(found, appId)));
    }

    @POST
    @Path("/{appId}/keys")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> createKey(@PathParam("appId") String appId, String body,
            @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        Validator v = new Validator(bodies.object(body), config.limits());
        String name = v.requiredString("name", MAX_NAME_LENGTH);
        v.throwIfInvalid();
        return requireApp(appId, app -> apps.createKey(appId, name, Timestamps.now()).map(key -> ok(201, key)));
    }

    @GET
    @Path("/{appId}/keys")
    public Uni<Response> listKeys(@PathParam("appId") String appId, @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        return requireApp(appId, app -> apps.keys(appId).map(keys -> ok(200, keys)));
    }

    @DELETE
    @Path("/{appId}/keys/{keyId}")
    public Uni<Response> revokeKey(@PathParam("appId") String appId, @PathParam("keyId") String keyId,
            @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        return apps.revokeKey(appId, keyId, Timestamps.now()).map(found -> {
            authenticator.invalidateAll();
            return ok(200, found.orElseThrow(() -> ApiException.notFound("Key \"" + keyId + "\" not found in app \""
                    + appId + "\".")));
        });
    }

    private Uni<Response> requireApp(String appId, Function<AppRepository.App, Uni<Response>> then) {
        return apps.find(appId).flatMap(found -> then.apply(orNotFound(found, appId)));
    }

    private static AppRepository.App orNotFound(Optional<AppRepository.App> app, String appId) {
        return app.orElseThrow(() -> ApiException.notFound("App \"" + appId + "\" not found."));
    }

    private static String deletePolicy(Validator v) {
        String policy = v.optionalString("deletePolicy", 20);
        if (policy != null && !DELETE_POLICIES.contains(policy)) {
            v.reject("deletePolicy", "must be \"deactivate\" or \"delete\"");
            return null;
        }
        return policy;
    }

    private Response ok(int status, Object data) {
        return responses.success(status, data, RequestContext.correlationId(requests.current()));
    }

}
