package net.driploop.webhook.delivery;

import net.driploop.webhook.config.WebhookConfig;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/** When the next attempt is due after a failed one, or empty once the schedule is spent. */
public final class RetrySchedule {

    private final List<Duration> delays;
    private final Duration maxRetryAfter;

    public RetrySchedule(WebhookConfig config) {
        this(config.retryDelays(), config.maxRetryAfter());
    }

    public RetrySchedule(List<Duration> delays, Duration maxRetryAfter) {
        this.delays = List.copyOf(delays);
        this.maxRetryAfter = maxRetryAfter;
    }

    /**
     * The delay after attempt number {@code attempts} (1-based) failed: the schedule's, or the receiver's
     * Retry-After when it gave one (bounded by {@code driploop.webhook.max-retry-after}).
     */
    public Optional<Duration> next(int attempts, Optional<Duration> retryAfter) {
        if (attempts > delays.size()) {
            return Optional.empty();
        }
        return Optional.of(retryAfter.map(d -> d.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : d)
                .orElse(delays.get(attempts - 1)));
    }

    /** A Retry-After header value, delay-seconds or an HTTP date, as a delay from {@code now}. */
    public static Optional<Duration> parseRetryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        try {
            long seconds = Long.parseLong(v);
            return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }
}
