package net.driploop.flow.definition;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.Period;

import static org.assertj.core.api.Assertions.assertThat;

class IsoOffsetTest {

    private static final Instant JUNE_9 = Instant.parse("2027-06-09T00:00:00Z");

    @Test
    void movesSevenDaysBeforeWithANegativeOffset() {
        assertThat(offset("-P7D").apply(JUNE_9)).isEqualTo(Instant.parse("2027-06-02T00:00:00Z"));
    }

    @Test
    void movesTenMinutesLaterWithATimeOffset() {
        assertThat(offset("PT10M").apply(JUNE_9)).isEqualTo(Instant.parse("2027-06-09T00:10:00Z"));
    }

    @Test
    void combinesCalendarAndTimeParts() {
        IsoOffset offset = offset("-P1MT12H");

        assertThat(offset).isEqualTo(new IsoOffset(Period.ofMonths(-1), Duration.ofHours(-12)));
        assertThat(offset.apply(JUNE_9)).isEqualTo(Instant.parse("2027-05-08T12:00:00Z"));
        assertThat(offset("P1Y2M3W4DT5H6M7.5S")).isEqualTo(new IsoOffset(Period.of(1, 2, 25),
                Duration.ofHours(5).plusMinutes(6).plusSeconds(7).plusMillis(500)));
        assertThat(offset("+P2D")).isEqualTo(new IsoOffset(Period.ofDays(2), Duration.ZERO));
    }

    @Test
    void followsTheUtcCalendarForMonths() {
        assertThat(offset("-P1M").apply(Instant.parse("2027-03-31T09:00:00Z")))
                .isEqualTo(Instant.parse("2027-02-28T09:00:00Z"));
        assertThat(offset("P1M").apply(Instant.parse("2028-01-31T00:00:00Z")))
                .isEqualTo(Instant.parse("2028-02-29T00:00:00Z"));
    }

    @Test
    void refusesTextThatIsNotAnIsoDuration() {
        for (String text : new String[] {"", "P", "PT", "-P", "P1DT", "7D", "P7", "PT-10M", "P1.5D", "P1H",
                "PT1D", "P1234567D", "P7D ", "10 minutes"}) {
            assertThat(IsoOffset.parse(text)).as(text).isEmpty();
        }
    }

    @Test
    void convertsToAFixedDurationOnlyWithoutMonthsOrYears() {
        assertThat(offset("P1W2DT3H").toDuration()).contains(Duration.ofDays(9).plusHours(3));
        assertThat(offset("-PT10M").toDuration()).contains(Duration.ofMinutes(-10));
        assertThat(offset("P1M").toDuration()).isEmpty();
        assertThat(offset("P1Y").toDuration()).isEmpty();
    }

    private static IsoOffset offset(String text) {
        return IsoOffset.parse(text).orElseThrow();
    }
}
