package net.driploop.ingest.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;
import net.driploop.ingest.auth.ApiKeyAuthenticator;
import net.driploop.ingest.auth.Caller;
import net.driploop.ingest.auth.CallerContext;
import net.driploop.kit.http.ApiException;
import net.driploop.kit.http.RequestContext;
import net.driploop.kit.http.Requests;
import net.driploop.kit.http.Responses;
import net.driploop.ingest.idempotency.IdempotencyStore;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.kit.outbox.OutboxRelay;
import net.driploop.kit.outbox.OutboxWriter;
import net.driploop.kit.outbox.StoredRecord;
import net.driploop.ingest.ratelimit.RateLimiter;
import net.driploop.model.ErrorCode;
import net.driploop.model.Timestamps;

import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one path every public-API call takes: authenticate the key, take a unit of its rate-limit window,
 * validate, run the operation (inside its Idempotency-Key claim when one is sent), answer, then hand the
 * committed outbox rows to the relay.
 */
@ApplicationScoped
public class PublicApi {

    private static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

    private final ApiKeyAuthenticator authenticator;
    private final RateLimiter rateLimiter;
    private final IdempotencyStore idempotency;
    private final OutboxWriter outbox;
    private final OutboxRelay relay;
    private final Pool pool;
    private final Requests requests;
    private final Responses responses;
    private final ObjectMapper mapper;

    public PublicApi(ApiKeyAuthenticator authenticator, RateLimiter rateLimiter, IdempotencyStore idempotency,
            OutboxWriter outbox, OutboxRelay relay, Pool pool, Requests requests, Responses responses,
            ObjectMapper mapper) {
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.idempotency = idempotency;
        this.outbox = outbox;
        this.relay = relay;
        this.pool = pool;
        this.requests = requests;
        this.responses = responses;
        this.mapper = mapper;
    }

    /**
     * Serves one call.
     *
     * @param prepare parses and validates the body (throwing {@link ApiException}) and returns the work to do
     */
    public Uni<Response> handle(String authorization, String apiKey, Call call, Supplier<Operation> prepare) {
        RoutingContext rc = requests.current();
        String correlationId = RequestContext.correlationId(rc);
        return authenticator.authenticate(authorization, apiKey)
                .flatMap(caller -> {
                    CallerContext.set(rc, caller);
                    return rateLimiter.take(caller.keyId()).map(state -> {
                        state.writeHeaders(rc.response().headers());
                        if (!state.allowed()) {
                            throw new ApiException(ErrorCode.RATE_LIMITED,
                                    "Rate limit of " + state.limit() + " requests per minute exceeded; retry after "
                                            + state.retryAfterSeconds() + " s.");
                        }
                        return caller;
                    });
                })
                .flatMap(caller -> {
                    checkIdempotencyKey(call.idempotencyKey());
                    Operation operation = prepare.get();
                    CallContext context = new CallContext(caller, correlationId, Timestamps.now(), call);
                    return call.idempotencyKey() == null ? run(operation, context) : runOnce(operation, context);
                });
    }

    private Uni<Response> run(Operation operation, CallContext context) {
        Uni<Operation.Result> result = operation.singleStatement()
                ? operation.execute(pool, context)
                : pool.withTransaction(conn -> operation.execute(conn, context));
        return relay.publishAfter(result, Operation.Result::records)
                .map(r -> responses.success(r.status(), r.data(), context.correlationId()));
    }

    private Uni<Response> runOnce(Operation operation, CallContext context) {
        Caller caller = context.caller();
        String key = context.call().idempotencyKey();
        byte[] hash = IdempotencyStore.fingerprint(context.call());
        return relay.publishAfter(pool.withTransaction(conn -> idempotency.claim(conn, caller.appId(), key, hash, context.now())
                        .flatMap(stored -> {
                            if (stored.isEmpty()) {
                                return operation.execute(conn, context).flatMap(r -> {
                                    String json = responses.successJson(r.data(), context.correlationId());
                                    return idempotency.store(conn, caller.appId(), key, r.status(), json)
                                            .replaceWith(new Reply(r.status(), json, r.records(), false));
                                });
                            }
                            IdempotencyStore.Stored previous = stored.get();
                            if (!MessageDigest.isEqual(previous.requestHash(), hash)) {
                                throw new ApiException(ErrorCode.IDEMPOTENCY_CONFLICT,
                                        "Idempotency-Key \"" + key + "\" was already used with a different request.");
                            }
                            return logReplay(conn, context, previous)
                                    .map(records -> new Reply(previous.status(), previous.response(), records, true));
                        })), Reply::records)
                .map(reply -> {
                    Response.ResponseBuilder builder = Response.fromResponse(responses.json(reply.status(), reply.json()));
                    if (reply.replayed()) {
                        builder.header("Idempotent-Replayed", "true");
                    }
                    return builder.build();
                });
    }

    /** A replay is logged under the correlationId of the response it repeats. */
    private Uni<List<StoredRecord>> logReplay(io.vertx.mutiny.sqlclient.SqlClient conn, CallContext context,
            IdempotencyStore.Stored previous) {
        String originalCorrelationId;
        try {
            originalCorrelationId = mapper.readTree(previous.response()).path("correlationId").asText();
        } catch (Exception e) {
            originalCorrelationId = context.correlationId();
        }
        Map<String, Object> detail = CallContext.requestDetail(context.call(), previous.status());
        detail.put("replayed", true);
        detail.put("replayCorrelationId", context.correlationId());
        return outbox.insert(conn, List.of(OutboxRecord.log(
                CallContext.apiRequestEntry(context.appId(), null, originalCorrelationId, detail))));
    }

    private static void checkIdempotencyKey(String key) {
        if (key != null && (key.isBlank() || key.length() > MAX_IDEMPOTENCY_KEY_LENGTH)) {
            throw new ApiException(ErrorCode.BAD_REQUEST,
                    "Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY_LENGTH + " characters.");
        }
    }

    private record Reply(int status, String json, List<StoredRecord> records, boolean replayed) {
    }
}
