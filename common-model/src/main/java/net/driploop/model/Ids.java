package net.driploop.model;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Id formats. Every id is a prefix and a 26-character, time-ordered ULID-style body
 * (48 bits of milliseconds, 80 random bits, Crockford base32), so ids sort by creation time. Within one JVM they
 * are monotonic (as ULID's monotonic mode): an id made in the same millisecond as the one before is that id plus
 * one, so ids made in sequence also sort in that sequence (the trace orders entries of one instant by id).
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
    private static final long FORTY_BITS = (1L << 40) - 1;

    // the last id's parts: milliseconds, and its 80 random bits as two 40-bit halves
    private static long lastMillis = -1;
    private static long lastHigh;
    private static long lastLow;

    private Ids() {
    }

    /** A new id with the given prefix, e.g. {@code newId(Ids.USER)} → {@code usr_01J…}. */
    public static String newId(String prefix) {
        return prefix + "_" + nextUlid();
    }

    /** A new correlationId for one API request. */
    public static String newCorrelationId() {
        return newId(CORRELATION);
    }

    /** A ULID body for this millisecond with fresh random bits. */
    static String ulid(long millis) {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        return encode(millis, bits(random, 0), bits(random, 5));
    }

    /** The next body: fresh when the clock moved on, else the last one plus one (also if the clock went back). */
    private static synchronized String nextUlid() {
        long now = System.currentTimeMillis();
        if (now > lastMillis) {
            byte[] random = new byte[10];
            RANDOM.nextBytes(random);
            lastMillis = now;
            lastHigh = bits(random, 0);
            lastLow = bits(random, 5);
        } else if (++lastLow > FORTY_BITS) {
            lastLow = 0;
            if (++lastHigh > FORTY_BITS) {
                lastHigh = 0;
                lastMillis++;
            }
        }
        return encode(lastMillis, lastHigh, lastLow);
    }

    private static long bits(byte[] random, int from) {
        long value = 0;
        for (int i = from; i < from + 5; i++) {
            value = (value << 8) | (random[i] & 0xff);
        }
        return value;
    }

    private static String encode(long millis, long high, long low) {
        char[] out = new char[26];
        // 48-bit timestamp → 10 chars (the first holds 3 bits)
        for (int i = 9; i >= 0; i--) {
            out[i] = CROCKFORD[(int) (millis & 31)];
            millis >>>= 5;
        }
        // 80 random bits → 16 chars
        for (int i = 17; i >= 10; i--) {
            out[i] = CROCKFORD[(int) (high & 31)];
            high >>>= 5;
        }
        for (int i = 25; i >= 18; i--) {
            out[i] = CROCKFORD[(int) (low & 31)];
            low >>>= 5;
        }
        return new String(out);
    }
}
