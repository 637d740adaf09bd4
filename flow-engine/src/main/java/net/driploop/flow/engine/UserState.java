package net.driploop.flow.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The projection of one user ({@code flow.users}) that conditions and templates see. */
record UserState(String appId, String externalUserId, String email, String status, ObjectNode metadata,
        JsonNode lastPurchase) {
}
