package net.driploop.webhook.delivery;

import java.security.SecureRandom;
import java.util.Base64;

/** Secrets for negative checks: well-formed, but no app's. */
final class WebhookSignerTestSecrets {

    private WebhookSignerTestSecrets() {
    }

    static String unrelated() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return "whsec_" + Base64.getEncoder().encodeToString(raw);
    }
}
