package net.driploop.model.event;

import java.time.Instant;

/** user.first_activity: the user's first activity ever (published exactly once per user). */
public record UserFirstActivity(String appId, String externalUserId, UserSnapshot user, Activity activity, Instant occurredAt) implements UserEvent {
}
