package net.driploop.model.event;

import java.time.Instant;

/** activity.recorded: an activity event with its name and metadata. */
public record ActivityRecorded(String appId, String externalUserId, UserSnapshot user, Activity activity, Instant occurredAt) implements UserEvent {
}
