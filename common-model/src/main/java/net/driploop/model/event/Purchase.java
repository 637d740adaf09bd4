package net.driploop.model.event;

import java.math.BigDecimal;
import java.time.Instant;

/** One recorded purchase; dates normalised to UTC. */
public record Purchase(
        String id,
        Instant purchaseDate,
        Instant purchaseEndDate,
        String productId,
        BigDecimal amount,
        String currency,
        Instant recordedAt) {
}
