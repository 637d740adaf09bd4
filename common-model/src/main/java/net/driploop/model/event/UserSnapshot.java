package net.driploop.model.event;

import java.time.Instant;
import java.util.Map;

/** The state of a tracked user right after the change an event reports. */
public record UserSnapshot(
        String id,
        String externalUserId,
        String email,
        Map<String, Object> metadata,
        String status,
        Instant createdAt,
        Instant updatedAt,
        Instant firstActivityAt,
        Instant lastActiveAt) {

    public static final String ACTIVE = "active";
    public static final String INACTIVE = "inactive";
}
