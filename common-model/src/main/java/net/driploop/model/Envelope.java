package net.driploop.model;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/** The JSON envelope around every API response: {@code {data, correlationId}} or {@code {error, correlationId}}. */
public final class Envelope {

    private Envelope() {
    }

    /** A successful response. */
    public record Success<T>(T data, String correlationId) {
    }

    /** A failed response. */
    public record Failure(Error error, String correlationId) {
    }

    /** The error part of a failed response; {@code details} is left out when there are none. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Error(String code, String message, Map<String, ?> details) {
    }

    public static <T> Success<T> success(T data, String correlationId) {
        return new Success<>(data, correlationId);
    }

    public static Failure failure(ErrorCode code, String message, Map<String, ?> details, String correlationId) {
        return new Failure(new Error(code.code(), message, details == null || details.isEmpty() ? null : details),
                correlationId);
    }
}
