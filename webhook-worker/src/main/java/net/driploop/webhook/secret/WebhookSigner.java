package net.driploop.webhook.secret;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Standard Webhooks signing: {@code v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>} keyed with the
 * base64-decoded part of a {@code whsec_} secret; several secrets give space-separated signatures.
 */
public final class WebhookSigner {

    /** The prefix of every signing secret. */
    public static final String PREFIX = "whsec_";
    /** Random bytes in a new secret (the spec asks for 24 to 64). */
    public static final int SECRET_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSigner() {
    }

    /** A new secret: {@code whsec_} and the base64 of {@link #SECRET_BYTES} random bytes. */
    public static String newSecret() {
        byte[] raw = new byte[SECRET_BYTES];
        RANDOM.nextBytes(raw);
        return PREFIX + Base64.getEncoder().encodeToString(raw);
    }

    /** The {@code webhook-signature} header value: one {@code v1,…} per secret, space-separated, in order. */
    public static String signature(List<String> secrets, String id, long timestamp, byte[] body) {
        return secrets.stream().map(secret -> "v1," + sign(secret, id, timestamp, body)).collect(Collectors.joining(" "));
    }

    /** The base64 HMAC-SHA256 of {@code {id}.{timestamp}.{body}} under one secret. */
    public static String sign(String secret, String id, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key(secret), "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    private static byte[] key(String secret) {
        String encoded = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
        return Base64.getDecoder().decode(encoded);
    }
}
