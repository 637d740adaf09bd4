package net.driploop.flow.definition;

import net.driploop.model.EventTypes;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The trigger types of a flow, each with the {@code ce_type} on {@code driploop.events.v1} it listens to. */
public enum TriggerType {
    USER_REGISTERED("user.registered", EventTypes.USER_REGISTERED),
    USER_METADATA_UPDATED("user.metadata_updated", EventTypes.USER_METADATA_UPDATED),
    USER_FIRST_ACTIVITY("user.first_activity", EventTypes.USER_FIRST_ACTIVITY),
    USER_ACTIVE("user.active", EventTypes.USER_ACTIVE),
    ACTIVITY_EVENT("activity.event", EventTypes.ACTIVITY_RECORDED),
    PURCHASE_RECORDED("purchase.recorded", EventTypes.PURCHASE_RECORDED);

    private final String wire;
    private final String eventType;

    TriggerType(String wire, String eventType) {
        this.wire = wire;
        this.eventType = eventType;
    }

    /** The name in the definition JSON, e.g. {@code activity.event}. */
    public String wire() {
        return wire;
    }

    /** The {@code ce_type} of the events that can start a flow with this trigger. */
    public String eventType() {
        return eventType;
    }

    public static Optional<TriggerType> fromWire(String wire) {
        return Arrays.stream(values()).filter(type -> type.wire.equals(wire)).findFirst();
    }

    static String allowed() {
        return Arrays.stream(values()).map(TriggerType::wire).collect(Collectors.joining(", "));
    }
}
