package net.driploop.ingest.pipeline;

import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.ingest.auth.Caller;
import net.driploop.ingest.auth.CallerContext;
import net.driploop.kit.http.ApiHeaders;
import net.driploop.kit.http.RefusedRequestRecorder;
import net.driploop.kit.http.RequestContext;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.model.ErrorCode;

import java.util.List;
import java.util.Map;

/** Records a refused public-API call, once its app is known, as an {@code api.request} automation-log entry. */
@ApplicationScoped
public class RefusedCallLog implements RefusedRequestRecorder {

    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final Pool pool;

    public RefusedCallLog(OutboxWriter outbox, OutboxRelay relay, Pool pool) {
        this.outbox = outbox;
        this.relay = relay;
        this.pool = pool;
    }

    @Override
    public Uni<Void> record(RoutingContext rc, ErrorCode code) {
        Caller caller = CallerContext.get(rc);
        if (caller == null) {
            return Uni.createFrom().voidItem();
        }
        Call call = new Call(rc.request().method().name(), rc.request().path(), null,
                rc.request().getHeader(ApiHeaders.IDEMPOTENCY_KEY));
        Map<String, Object> detail = CallContext.requestDetail(call, code.status());
        detail.put("error", code.code());
        OutboxRecord entry = OutboxRecord.log(
                CallContext.apiRequestEntry(caller.appId(), null, RequestContext.correlationId(rc), detail));
        return relay.publishAfter(outbox.insert(pool, List.of(entry)), records -> records).replaceWithVoid();
    }
}
