package net.driploop.model.event;

import java.time.Instant;

/** user.metadata_updated: metadata keys were set; changes holds the keys of this call, user the merged result. */
public record UserMetadataUpdated(String appId, String externalUserId, UserSnapshot user, java.util.Map<String, Object> changes, Instant occurredAt) implements UserEvent {
}
