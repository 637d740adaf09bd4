package net.driploop.webhook.delivery;

/**
 * A pending delivery this replica owns for one attempt: its id, the command as received, attempts so far, and
 * where the command was read from (null for rows stored before that was recorded).
 */
public record ClaimedDelivery(String id, String command, int attempts, Integer partition, Long offset) {
}
