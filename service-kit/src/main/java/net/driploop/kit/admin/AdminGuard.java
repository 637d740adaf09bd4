package net.driploop.kit.admin;

import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.config.AdminConfig;
import net.driploop.kit.http.ApiException;
import net.driploop.model.ErrorCode;

import java.security.MessageDigest;

/** Checks the admin API's bearer token ({@code DRIPLOOP_ADMIN_TOKEN}) in constant time. */
@ApplicationScoped
public class AdminGuard {

    private final byte[] tokenHash;

    public AdminGuard(AdminConfig config) {
        this.tokenHash = config.token().filter(t -> !t.isBlank()).map(Secrets::sha256).orElse(null);
        if (tokenHash == null) {
            Log.warn("DRIPLOOP_ADMIN_TOKEN is not set: the admin API refuses every call");
        }
    }

    /** Throws 401 {@code unauthorized} unless {@code authorization} is {@code Bearer <admin token>}. */
    public void check(String authorization) {
        String presented = bearer(authorization);
        if (tokenHash == null || presented == null || !MessageDigest.isEqual(Secrets.sha256(presented), tokenHash)) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, "Missing or invalid admin token.");
        }
    }

    /** The token of a {@code Bearer} authorization header, or null. */
    public static String bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
    }

}
