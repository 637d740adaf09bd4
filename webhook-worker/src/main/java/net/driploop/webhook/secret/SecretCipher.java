package net.driploop.webhook.secret;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import net.driploop.webhook.config.WebhookConfig;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * Encrypts signing secrets at rest with AES-256-GCM under {@code DRIPLOOP_WEBHOOK_SECRET_KEY}: a random 96-bit
 * nonce per value, the app id as associated data (a row copied to another app does not decrypt).
 */
@Startup // built at start-up, so that a missing or bad key stops the service at once
@ApplicationScoped
public class SecretCipher {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    @Inject
    public SecretCipher(WebhookConfig config) {
        this(requireKey(config.secretKey()));
    }

    /** The configured key; without one the service must not start (dev and test profiles carry a default). */
    static String requireKey(Optional<String> key) {
        return key.filter(k -> !k.isBlank()).orElseThrow(() -> new IllegalStateException(
                "DRIPLOOP_WEBHOOK_SECRET_KEY is not set: it must be the base64 of 32 random bytes "
                        + "(e.g. `openssl rand -base64 32`); signing secrets are encrypted with it"));
    }

    SecretCipher(String base64Key) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64Key.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("DRIPLOOP_WEBHOOK_SECRET_KEY is not valid base64");
        }
        if (raw.length != 32) {
            throw new IllegalStateException("DRIPLOOP_WEBHOOK_SECRET_KEY must decode to 32 bytes, not " + raw.length);
        }
        this.key = new SecretKeySpec(raw, "AES");
    }

    /** nonce || ciphertext-and-tag of {@code plain}, bound to {@code appId}. */
    public byte[] encrypt(String appId, String plain) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(appId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt a signing secret", e);
        }
    }

    /** The plain value of {@link #encrypt}'s output; fails if it was altered, or sealed for another app or key. */
    public String decrypt(String appId, byte[] stored) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, stored, 0, NONCE_BYTES));
            cipher.updateAAD(appId.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(stored, NONCE_BYTES, stored.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            // no detail: the message must never help reveal a secret
            throw new IllegalStateException("cannot decrypt the signing secret of app " + appId
                    + " (wrong DRIPLOOP_WEBHOOK_SECRET_KEY or altered row)");
        }
    }
}
