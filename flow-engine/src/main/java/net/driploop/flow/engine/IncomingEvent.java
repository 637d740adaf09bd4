package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import net.driploop.model.event.UserEvent;

/**
 * One record of {@code driploop.events.v1}: its CloudEvents id, type and correlationId, the event, and the
 * trigger data it gives an execution ({@code {event: {name, metadata}, purchase: {…}}}).
 */
record IncomingEvent(String ceId, String ceType, String correlationId, UserEvent event, ObjectNode triggerData,
        String activityName) {
}
