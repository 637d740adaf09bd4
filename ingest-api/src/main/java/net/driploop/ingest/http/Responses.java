package net.driploop.ingest.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import net.driploop.model.Envelope;
import net.driploop.model.ErrorCode;

import java.io.UncheckedIOException;
import java.util.Map;

/** Builds enveloped JSON responses. */
@ApplicationScoped
public class Responses {

    private final ObjectMapper mapper;

    public Responses(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The success envelope as JSON text (stored as-is for Idempotency-Key replays). */
    public String successJson(Object data, String correlationId) {
        return write(Envelope.success(data, correlationId));
    }

    public Response json(int status, String json) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(json).build();
    }

    public Response success(int status, Object data, String correlationId) {
        return json(status, successJson(data, correlationId));
    }

    public Response error(ErrorCode code, String message, Map<String, ?> details, String correlationId) {
        return json(code.status(), write(Envelope.failure(code, message, details, correlationId)));
    }

    private String write(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
