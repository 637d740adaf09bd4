package net.driploop.flow.definition;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads ISO-8601 dates the way the public API accepts them: a date is midnight UTC, no offset means UTC. */
public final class IsoDates {

    private IsoDates() {
    }

    /** The instant a date ({@code 2026-06-09}) or date-time ({@code 2026-06-09T12:00:00Z}) names, if it is one. */
    public static Optional<Instant> parse(String text) {
        String trimmed = text.trim();
        try {
            if (trimmed.length() == 10) {
                return Optional.of(LocalDate.parse(trimmed).atStartOfDay(ZoneOffset.UTC).toInstant());
            }
            try {
                return Optional.of(OffsetDateTime.parse(trimmed).toInstant());
            } catch (DateTimeParseException e) {
                return Optional.of(LocalDateTime.parse(trimmed).toInstant(ZoneOffset.UTC));
            }
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
