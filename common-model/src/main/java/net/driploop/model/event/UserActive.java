package net.driploop.model.event;

import java.time.Instant;

/** user.active: the user was active (every activity, whatever its name). */
public record UserActive(String appId, String externalUserId, UserSnapshot user, Activity activity, Instant occurredAt) implements UserEvent {
}
