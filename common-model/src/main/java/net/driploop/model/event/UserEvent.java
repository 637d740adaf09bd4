package net.driploop.model.event;

import java.time.Instant;

/** A record on {@code driploop.events.v1}; its {@code ce_type} header names which one. */
public sealed interface UserEvent
        permits UserRegistered, UserMetadataUpdated, UserFirstActivity, UserActive, ActivityRecorded,
        PurchaseRecorded, UserDeleted {

    String appId();

    String externalUserId();

    Instant occurredAt();
}
