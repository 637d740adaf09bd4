package net.driploop.kit.http;

/** Request headers the APIs read. */
public final class ApiHeaders {

    public static final String AUTHORIZATION = "Authorization";
    public static final String API_KEY = "x-api-key";
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private ApiHeaders() {
    }
}
