package net.driploop.model;

/** The stable error codes of the public and admin APIs, with the HTTP status each one travels with. */
public enum ErrorCode {
    BAD_REQUEST("bad_request", 400),
    UNAUTHORIZED("unauthorized", 401),
    NOT_FOUND("not_found", 404),
    METHOD_NOT_ALLOWED("method_not_allowed", 405),
    IDEMPOTENCY_CONFLICT("idempotency_conflict", 409),
    PAYLOAD_TOO_LARGE("payload_too_large", 413),
    UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415),
    VALIDATION_ERROR("validation_error", 422),
    RATE_LIMITED("rate_limited", 429),
    INTERNAL_ERROR("internal_error", 500),
    SERVICE_UNAVAILABLE("service_unavailable", 503);

    private final String code;
    private final int status;

    ErrorCode(String code, int status) {
        this.code = code;
        this.status = status;
    }

    /** The string clients match on, e.g. {@code validation_error}. */
    public String code() {
        return code;
    }

    /** The HTTP status that goes with this code. */
    public int status() {
        return status;
    }
}
