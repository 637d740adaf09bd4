package net.driploop.model;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Id formats. Every id is a prefix and a 26-character, time-ordered ULID-style body
 * (48 bits of milliseconds, 80 random bits, Crockford base32), so ids sort by creation time.
 */
public final class Ids {

    public static final String CORRELATION = "cor";
    public static final String APP = "app";
    public static final String API_KEY = "key";
    public static final String USER = "usr";
    public static final String ACTIVITY = "act";
    public static final String PURCHASE = "pur";
    public static final String EVENT = "evt";
    public static final String LOG_ENTRY = "log";
    public static final String FLOW = "flw";
    public static final String EXECUTION = "exe";

    /** A correlationId: {@code cor_} and a ULID body. */
    public static final Pattern CORRELATION_ID = Pattern.compile("cor_[0-9A-HJKMNP-TV-Z]{26}");

    private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    /** A new id with the given prefix, e.g. {@code newId(Ids.USER)} → {@code usr_01J…}. */
    public static String newId(String prefix) {
        return prefix + "_" + ulid(System.currentTimeMillis());
    }

    /** A new correlationId for one API request. */
    public static String newCorrelationId() {
        return newId(CORRELATION);
    }

    static String ulid(long millis) {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        char[] out = new char[26];
        // 48-bit timestamp → 10 chars (the first holds 3 bits)
        for (int i = 9; i >= 0; i--) {
            out[i] = CROCKFORD[(int) (millis & 31)];
            millis >>>= 5;
        }
        // 80 random bits → 16 chars
        long hi = 0;
        for (int i = 0; i < 5; i++) {
            hi = (hi << 8) | (random[i] & 0xff);
        }
        long lo = 0;
        for (int i = 5; i < 10; i++) {
            lo = (lo << 8) | (random[i] & 0xff);
        }
        for (int i = 17; i >= 10; i--) {
            out[i] = CROCKFORD[(int) (hi & 31)];
            hi >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            out[i] = CROCKFORD[(int) (lo & 31)];
            lo >>>= 5;
        }
        return new String(out);
    }
}
