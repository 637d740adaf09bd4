package net.driploop.ingest.activity;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.kit.http.JsonBodies;
import static net.driploop.kit.http.ApiHeaders.API_KEY;
import static net.driploop.kit.http.ApiHeaders.AUTHORIZATION;
import static net.driploop.kit.http.ApiHeaders.IDEMPOTENCY_KEY;
import net.driploop.ingest.http.Validator;
import net.driploop.ingest.pipeline.Call;
import net.driploop.ingest.pipeline.PublicApi;

import java.util.Map;

/** Public API v1: activity events of registered users. */
@Path("/api/v1/events")
@Produces(MediaType.APPLICATION_JSON)
public class ActivityResource {

    private final PublicApi api;
    private final ActivityService activities;
    private final JsonBodies bodies;
    private final IngestConfig config;

    public ActivityResource(PublicApi api, ActivityService activities, JsonBodies bodies, IngestConfig config) {
        this.api = api;
        this.activities = activities;
        this.bodies = bodies;
        this.config = config;
    }

    @POST
    @Path("/activity")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> record(String body, @HeaderParam(AUTHORIZATION) String authorization,
            @HeaderParam(API_KEY) String apiKey, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return api.handle(authorization, apiKey, new Call("POST", "/api/v1/events/activity", body, idempotencyKey),
                () -> {
                    Validator v = new Validator(bodies.object(body), config.limits());
                    String externalUserId = v.requiredString("externalUserId", Validator.MAX_ID_LENGTH);
                    String event = v.requiredString("event", Validator.MAX_EVENT_NAME_LENGTH);
                    Map<String, Object> metadata = v.metadata("metadata", false);
                    v.throwIfInvalid();
                    return activities.record(externalUserId, event, metadata);
                });
    }
}
