package net.driploop.model;

/** The {@code ce_type} values on {@link Topics#EVENTS}; each names the event record that is its payload. */
public final class EventTypes {

    /** {@link UserRegistered}: POST /users created the user (or re-activated a deactivated one). */
    public static final String USER_REGISTERED = "user.registered";
    /** {@link UserMetadataUpdated}: POST /users on an existing user with metadata, or PATCH metadata. */
    public static final String USER_METADATA_UPDATED = "user.metadata_updated";
    /** {@link UserFirstActivity}: the user's first activity ever; published exactly once per user. */
    public static final String USER_FIRST_ACTIVITY = "user.first_activity";
    /** {@link UserActive}: any activity; the user was active at that time. */
    public static final String USER_ACTIVE = "user.active";
    /** {@link ActivityRecorded}: an activity event with its name, for {@code activity.event:{name}} flows. */
    public static final String ACTIVITY_RECORDED = "activity.recorded";
    /** {@link PurchaseRecorded}: POST /users/{id}/purchase. */
    public static final String PURCHASE_RECORDED = "purchase.recorded";
    /** {@link UserDeleted}: DELETE /users/{id}, either policy. */
    public static final String USER_DELETED = "user.deleted";

    private EventTypes() {
    }
}
