package net.driploop.model.event;

import java.time.Instant;

/** user.registered: the user was created, or a deactivated user was registered again (reactivated = true). */
public record UserRegistered(String appId, String externalUserId, UserSnapshot user, boolean reactivated, Instant occurredAt) implements UserEvent {
}
