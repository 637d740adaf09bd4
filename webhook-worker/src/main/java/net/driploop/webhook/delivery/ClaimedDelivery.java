package net.driploop.webhook.delivery;

/** A pending delivery this replica owns for one attempt: its id, the command as received, attempts so far. */
public record ClaimedDelivery(String id, String command, int attempts) {
}
