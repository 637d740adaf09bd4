package net.driploop.webhook.secret;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
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
import java.util.regex.Pattern;

import static net.driploop.kit.http.ApiHeaders.AUTHORIZATION;

/** Admin API: an app's webhook signing secret, read and rotated ({@code Authorization: Bearer $DRIPLOOP_ADMIN_TOKEN}). */
@Path("/admin/v1/apps/{appId}/webhook-secret")
@Produces(MediaType.APPLICATION_JSON)
public class SecretAdminResource {

    private static final Pattern APP_ID = Pattern.compile("app_[0-9A-HJKMNP-TV-Z]{26}");

    private final SigningSecrets secrets;
    private final AdminGuard guard;
    private final Responses responses;
    private final Requests requests;

    public SecretAdminResource(SigningSecrets secrets, AdminGuard guard, Responses responses, Requests requests) {
        this.secrets = secrets;
        this.guard = guard;
        this.responses = responses;
        this.requests = requests;
    }

    /** 200 {@code {data: {secret}}}: the current secret, created on first read. */
    @GET
    public Uni<Response> read(@PathParam("appId") String appId, @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        checkApp(appId);
        return secrets.current(appId).map(this::ok);
    }

    /** 200 {@code {data: {secret}}}: a new secret; the old one keeps signing beside it for the rotation overlap. */
    @POST
    @Path("/rotate")
    public Uni<Response> rotate(@PathParam("appId") String appId, @HeaderParam(AUTHORIZATION) String authorization) {
        guard.check(authorization);
        checkApp(appId);
        return secrets.rotate(appId).map(this::ok);
    }

    private Response ok(String secret) {
        return responses.success(200, Map.of("secret", secret), RequestContext.correlationId(requests.current()));
    }

    private static void checkApp(String appId) {
        if (!APP_ID.matcher(appId).matches()) {
            // the worker does not know which apps exist (it reads no other service's tables): it knows only the id form
            throw ApiException.notFound("App \"" + appId + "\" not found.");
        }
    }
}
