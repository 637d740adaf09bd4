package net.driploop.ingest.auth;

import net.driploop.kit.admin.Secrets;

import java.math.BigInteger;
import java.security.SecureRandom;

/** API-key format: {@code dl_live_} and 43 base62 characters carrying 256 random bits; stored only as SHA-256. */
public final class ApiKeys {

    public static final String PREFIX = "dl_live_";
    /** Characters of a key shown in listings (the prefix and four more). */
    public static final int DISPLAY_PREFIX_LENGTH = PREFIX.length() + 4;
    private static final int BODY_LENGTH = 43;
    private static final char[] BASE62 =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    /** A new secret key; shown once, then only its hash is kept. */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        BigInteger value = new BigInteger(1, bytes);
        BigInteger base = BigInteger.valueOf(62);
        char[] body = new char[BODY_LENGTH];
        for (int i = BODY_LENGTH - 1; i >= 0; i--) {
            BigInteger[] qr = value.divideAndRemainder(base);
            body[i] = BASE62[qr[1].intValue()];
            value = qr[0];
        }
        return PREFIX + new String(body);
    }

    /** Whether a presented string has the shape of a key (checked before any lookup). */
    public static boolean wellFormed(String key) {
        if (key == null || key.length() != PREFIX.length() + BODY_LENGTH || !key.startsWith(PREFIX)) {
            return false;
        }
        for (int i = PREFIX.length(); i < key.length(); i++) {
            char c = key.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return false;
            }
        }
        return true;
    }

    public static String displayPrefix(String key) {
        return key.substring(0, DISPLAY_PREFIX_LENGTH);
    }

    public static byte[] sha256(String value) {
        return Secrets.sha256(value);
    }
}
