package net.driploop.kit.http;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import net.driploop.model.Envelope;
import net.driploop.model.ErrorCode;

import java.util.Map;

/** Builds enveloped JSON responses. */
@ApplicationScoped
public class Responses {

    private final JsonCodec json;

    public Responses(JsonCodec json) {
        this.json = json;
    }

    /** The success envelope as JSON text (stored as-is for Idempotency-Key replays). */
    public String successJson(Object data, String correlationId) {
        return json.write(Envelope.success(data, correlationId));
    }

    public Response json(int status, String json) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(json).build();
    }

    public Response success(int status, Object data, String correlationId) {
        return json(status, successJson(data, correlationId));
    }

    public Response error(ErrorCode code, String message, Map<String, ?> details, String correlationId) {
        return json(code.status(), json.write(Envelope.failure(code, message, details, correlationId)));
    }
}
