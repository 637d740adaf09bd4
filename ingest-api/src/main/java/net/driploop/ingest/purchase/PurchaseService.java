package net.driploop.ingest.purchase;

import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.kit.http.ApiException;
import net.driploop.ingest.pipeline.UserEventOutbox;
import net.driploop.ingest.pipeline.Operation;
import net.driploop.model.EventTypes;
import net.driploop.model.Ids;
import net.driploop.model.event.Purchase;
import net.driploop.model.event.PurchaseRecorded;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/** Recording purchases: the purchase and its {@code purchase.recorded} event commit together. */
@ApplicationScoped
public class PurchaseService {

    private final UserEventOutbox outbox;

    public PurchaseService(UserEventOutbox outbox) {
        this.outbox = outbox;
    }

    /** The response of POST /users/{id}/purchase. */
    public record RecordedPurchase(String id, String externalUserId, Instant purchaseDate, Instant purchaseEndDate,
            String productId, BigDecimal amount, String currency) {
    }

    public Operation record(String externalUserId, Instant purchaseDate, Instant purchaseEndDate, String productId,
            BigDecimal amount, String currency) {
        return (sql, ctx) -> sql.preparedQuery("""
                        SELECT id FROM ingest.users WHERE app_id = $1 AND external_user_id = $2 AND status = 'active'
                        FOR SHARE""")
                .execute(Tuple.of(ctx.appId(), externalUserId))
                .flatMap(found -> {
                    if (found.size() == 0) {
                        throw ApiException.userNotRegistered(externalUserId);
                    }
                    String userId = found.iterator().next().getString("id");
                    String id = Ids.newId(Ids.PURCHASE);
                    Tuple params = Tuple.tuple().addValue(id).addValue(ctx.appId()).addValue(userId)
                            .addValue(utc(purchaseDate)).addValue(utc(purchaseEndDate)).addValue(productId)
                            .addValue(amount).addValue(currency).addValue(utc(ctx.now())).addValue(ctx.correlationId());
                    return sql.preparedQuery("""
                                    INSERT INTO ingest.purchases (id, app_id, user_id, purchase_date, purchase_end_date,
                                        product_id, amount, currency, recorded_at, correlation_id)
                                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""")
                            .execute(params)
                            .flatMap(inserted -> {
                                Purchase purchase = new Purchase(id, purchaseDate, purchaseEndDate, productId, amount,
                                        currency, ctx.now());
                                var event = ctx.event(EventTypes.PURCHASE_RECORDED, externalUserId,
                                        new PurchaseRecorded(ctx.appId(), externalUserId, null, purchase, ctx.now()),
                                        userId);
                                return outbox.insert(sql, ctx.withApiLog(201, externalUserId, List.of(event)));
                            })
                            .map(stored -> new Operation.Result(201, new RecordedPurchase(id, externalUserId,
                                    purchaseDate, purchaseEndDate, productId, amount, currency), stored));
                });
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
