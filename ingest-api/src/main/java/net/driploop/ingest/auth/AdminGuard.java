package net.driploop.ingest.auth;

import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.ingest.http.ApiException;
import net.driploop.model.ErrorCode;

/** Checks the admin API's bearer token ({@code DRIPLOOP_ADMIN_TOKEN}) in constant time. */
@ApplicationScoped
public class AdminGuard {

    private final String token;

    public AdminGuard(IngestConfig config) {
        this.token = config.adminToken().filter(t -> !t.isBlank()).orElse(null);
        if (token == null) {
            Log.warn("DRIPLOOP_ADMIN_TOKEN is not set: the admin API refuses every call");
        }
    }

    public void check(String authorization) {
        String presented = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
        if (token == null || presented == null || !ApiKeys.secretsEqual(presented, token)) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, "Missing or invalid admin token.");
        }
    }
}
