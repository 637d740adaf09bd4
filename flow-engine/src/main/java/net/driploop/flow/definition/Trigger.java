package net.driploop.flow.definition;

/** What starts a flow: an event type, the activity name for {@code activity.event}, and an optional condition. */
public record Trigger(TriggerType type, String event, Condition when) {

    /** Whether an event of this {@code ce_type} (and activity name, for activity events) can start the flow. */
    public boolean listensTo(String eventType, String activityName) {
        if (!type.eventType().equals(eventType)) {
            return false;
        }
        return type != TriggerType.ACTIVITY_EVENT || event.equals(activityName);
    }
}
