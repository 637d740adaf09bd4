package net.driploop.ingest.user;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
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
import net.driploop.ingest.purchase.PurchaseService;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/** Public API v1: tracked users, their metadata and purchases. */
@Path("/api/v1/users")
@Produces(MediaType.APPLICATION_JSON)
public class UserResource {

    private final PublicApi api;
    private final UserService users;
    private final PurchaseService purchases;
    private final JsonBodies bodies;
    private final IngestConfig config;

    public UserResource(PublicApi api, UserService users, PurchaseService purchases, JsonBodies bodies,
            IngestConfig config) {
        this.api = api;
        this.users = users;
        this.purchases = purchases;
        this.bodies = bodies;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> register(String body, @HeaderParam(AUTHORIZATION) String authorization,
            @HeaderParam(API_KEY) String apiKey, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return api.handle(authorization, apiKey, new Call("POST", "/api/v1/users", body, idempotencyKey), () -> {
            Validator v = new Validator(bodies.object(body), config.limits());
            String externalUserId = v.requiredString("externalUserId", Validator.MAX_ID_LENGTH);
            String email = v.optionalEmail("email");
            Map<String, Object> metadata = v.metadata("metadata", false);
            v.throwIfInvalid();
            return users.register(externalUserId, email, metadata);
        });
    }

    @DELETE
    @Path("/{externalUserId}")
    public Uni<Response> delete(@PathParam("externalUserId") String externalUserId,
            @HeaderParam(AUTHORIZATION) String authorization, @HeaderParam(API_KEY) String apiKey,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return api.handle(authorization, apiKey,
                new Call("DELETE", "/api/v1/users/" + externalUserId, null, idempotencyKey), () -> {
                    Validator.checkPathId("externalUserId", externalUserId);
                    return users.delete(externalUserId);
                });
    }

    @PATCH
    @Path("/{externalUserId}/metadata")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> patchMetadata(@PathParam("externalUserId") String externalUserId, String body,
            @HeaderParam(AUTHORIZATION) String authorization, @HeaderParam(API_KEY) String apiKey,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return api.handle(authorization, apiKey,
                new Call("PATCH", "/api/v1/users/" + externalUserId + "/metadata", body, idempotencyKey), () -> {
                    Validator.checkPathId("externalUserId", externalUserId);
                    Validator v = new Validator(bodies.object(body), config.limits());
                    Map<String, Object> metadata = v.metadata("metadata", true);
                    v.throwIfInvalid();
                    return users.patchMetadata(externalUserId, metadata);
                });
    }

    @POST
    @Path("/{externalUserId}/purchase")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> recordPurchase(@PathParam("externalUserId") String externalUserId, String body,
            @HeaderParam(AUTHORIZATION) String authorization, @HeaderParam(API_KEY) String apiKey,
            @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return api.handle(authorization, apiKey,
                new Call("POST", "/api/v1/users/" + externalUserId + "/purchase", body, idempotencyKey), () -> {
                    Validator.checkPathId("externalUserId", externalUserId);
                    Validator v = new Validator(bodies.object(body), config.limits());
                    Instant purchaseDate = millis(v.date("purchaseDate", true));
                    Instant purchaseEndDate = millis(v.date("purchaseEndDate", false));
                    String productId = v.optionalString("productId", Validator.MAX_ID_LENGTH);
                    var amount = v.optionalNonNegativeNumber("amount");
                    String currency = v.optionalCurrency("currency");
                    if (purchaseDate != null && purchaseEndDate != null && purchaseEndDate.isBefore(purchaseDate)) {
                        v.reject("purchaseEndDate", "must not be before purchaseDate");
                    }
                    v.throwIfInvalid();
                    return purchases.record(externalUserId, purchaseDate, purchaseEndDate, productId, amount, currency);
                });
    }

    private static Instant millis(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MILLIS);
    }

}
