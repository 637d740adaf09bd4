package net.driploop.model.event;

import java.time.Instant;

/** purchase.recorded: a purchase was recorded for the user. */
public record PurchaseRecorded(String appId, String externalUserId, UserSnapshot user, Purchase purchase, Instant occurredAt) implements UserEvent {
}
