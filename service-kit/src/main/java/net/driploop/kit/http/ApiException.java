package net.driploop.kit.http;

import net.driploop.model.ErrorCode;

import java.util.Map;

/** A request that cannot be served; mapped to the error envelope with the code's HTTP status. */
public class ApiException extends RuntimeException {

    private final ErrorCode code;
    private final transient Map<String, ?> details;

    public ApiException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public ApiException(ErrorCode code, String message, Map<String, ?> details) {
        super(message, null, false, false);
        this.code = code;
        this.details = details;
    }

    public ErrorCode code() {
        return code;
    }

    public Map<String, ?> details() {
        return details;
    }

    public static ApiException unauthorized() {
        return new ApiException(ErrorCode.UNAUTHORIZED, "Missing, invalid, or revoked API key.");
    }

    public static ApiException userNotRegistered(String externalUserId) {
        return new ApiException(ErrorCode.NOT_FOUND,
                "User \"" + externalUserId + "\" is not registered. Register with POST /users first.");
    }

    public static ApiException validation(Map<String, ?> details) {
        return new ApiException(ErrorCode.VALIDATION_ERROR, "Request validation failed", details);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(ErrorCode.BAD_REQUEST, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(ErrorCode.NOT_FOUND, message);
    }
}
