package net.driploop.flow.definition;

import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ISO-8601 duration with an optional leading sign, such as {@code -P7D}, {@code P1M} or
 * {@code PT10M}: a calendar part (years, months, weeks, days) and a time part, applied in UTC.
 */
public record IsoOffset(Period period, Duration duration) {

    public static final IsoOffset ZERO = new IsoOffset(Period.ZERO, Duration.ZERO);

    // Each number has at most 6 digits, so that applying any offset stays far inside Instant's range.
    private static final Pattern FORMAT = Pattern.compile(
            "([-+]?)P(?:(\\d{1,6})Y)?(?:(\\d{1,6})M)?(?:(\\d{1,6})W)?(?:(\\d{1,6})D)?"
                    + "(T(?:(\\d{1,6})H)?(?:(\\d{1,6})M)?(?:(\\d{1,6})(?:[.,](\\d{1,9}))?S)?)?");

    /** Parses {@code [-+]PnYnMnWnDTnHnMn.nS}; empty when the text is not such a duration. */
    public static Optional<IsoOffset> parse(String text) {
        Matcher m = FORMAT.matcher(text.toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        boolean hasTime = m.group(7) != null || m.group(8) != null || m.group(9) != null;
        boolean hasDate = m.group(2) != null || m.group(3) != null || m.group(4) != null || m.group(5) != null;
        if (m.group(6) != null ? !hasTime : !hasDate) {
            return Optional.empty();
        }
        Period period = Period.of(number(m, 2), number(m, 3), number(m, 4) * 7 + number(m, 5));
        long nanos = m.group(10) == null ? 0 : Long.parseLong((m.group(10) + "00000000").substring(0, 9));
        Duration duration = Duration.ofHours(number(m, 7)).plusMinutes(number(m, 8)).plusSeconds(number(m, 9))
                .plusNanos(nanos);
        return Optional.of("-".equals(m.group(1))
                ? new IsoOffset(period.negated(), duration.negated())
                : new IsoOffset(period, duration));
    }

    /** The instant shifted by this offset; months and years follow the UTC calendar (Mar 31 - P1M = Feb 28). */
    public Instant apply(Instant instant) {
        return instant.atZone(ZoneOffset.UTC).plus(period).toInstant().plus(duration);
    }

    /** The same length as a {@link Duration} (days of 24 h), or empty when it has months or years. */
    public Optional<Duration> toDuration() {
        if (period.getYears() != 0 || period.getMonths() != 0) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofDays(period.getDays()).plus(duration));
    }

    private static int number(Matcher m, int group) {
        return m.group(group) == null ? 0 : Integer.parseInt(m.group(group));
    }
}
