package net.driploop.model.event;

import java.time.Instant;

/** user.deleted: the user was deleted or deactivated; every automation for them stops. */
public record UserDeleted(String appId, String externalUserId, String userId, boolean deleted, boolean deactivated, Instant occurredAt) implements UserEvent {
}
