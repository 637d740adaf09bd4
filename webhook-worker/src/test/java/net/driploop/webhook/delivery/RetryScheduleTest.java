package net.driploop.webhook.delivery;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RetryScheduleTest {

    final RetrySchedule schedule = new RetrySchedule(List.of(Duration.ofSeconds(5), Duration.ofMinutes(5)),
            Duration.ofHours(24));

    @Test
    void followsTheConfiguredDelaysThenStops() {
        assertThat(schedule.next(1, Optional.empty())).contains(Duration.ofSeconds(5));
        assertThat(schedule.next(2, Optional.empty())).contains(Duration.ofMinutes(5));
        assertThat(schedule.next(3, Optional.empty())).isEmpty();
    }

    @Test
    void retryAfterReplacesTheScheduledDelayUpToTheCap() {
        assertThat(schedule.next(1, Optional.of(Duration.ofSeconds(90)))).contains(Duration.ofSeconds(90));
        assertThat(schedule.next(1, Optional.of(Duration.ofDays(3)))).contains(Duration.ofHours(24));
        assertThat(schedule.next(3, Optional.of(Duration.ofSeconds(1)))).isEmpty();
    }

    @Test
    void readsRetryAfterAsSecondsOrAnHttpDate() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(RetrySchedule.parseRetryAfter("120", now)).contains(Duration.ofSeconds(120));
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(30).atOffset(ZoneOffset.UTC));
        assertThat(RetrySchedule.parseRetryAfter(date, now)).contains(Duration.ofSeconds(30));
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.minusSeconds(30).atOffset(ZoneOffset.UTC));
        assertThat(RetrySchedule.parseRetryAfter(past, now)).contains(Duration.ZERO);
        assertThat(RetrySchedule.parseRetryAfter("soon", now)).isEmpty();
        assertThat(RetrySchedule.parseRetryAfter("-5", now)).isEmpty();
        assertThat(RetrySchedule.parseRetryAfter(null, now)).isEmpty();
    }
}
