package net.driploop.webhook.delivery;

import net.driploop.model.command.CallWebhook;

/**
 * A pending delivery this replica owns for one attempt: its id, the command as received ({@code json}; {@code command}
 * when already parsed), attempts so far, where the command was read from (null for rows stored before that was
 * recorded), its target (see {@link TargetLimits#of}), and whether its user was deleted when it was claimed.
 */
public record ClaimedDelivery(String id, String json, CallWebhook command, int attempts, Integer partition, Long offset,
        String target, boolean deleted) {
}
