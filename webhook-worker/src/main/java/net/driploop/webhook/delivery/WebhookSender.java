package net.driploop.webhook.delivery;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.core.http.HttpClient;
import jakarta.enterprise.context.ApplicationScoped;
import net.driploop.webhook.config.WebhookConfig;
import net.driploop.webhook.ssrf.Target;
import net.driploop.webhook.ssrf.TargetGuard;
import net.driploop.webhook.ssrf.TargetRefusedException;

import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Sends one signed request with the Vert.x HTTP client: the host is resolved and checked by the
 * {@link TargetGuard} first, and the connection goes to that checked address ({@code RequestOptions#setServer})
 * while Host, SNI and certificate checks use the name. Redirects are not followed; the response body is discarded.
 */
@ApplicationScoped
public class WebhookSender {

    static final String USER_AGENT = "Driploop-Webhooks/1";
    /** Headers the worker sets itself: a step's headers never replace them. */
    static final java.util.Set<String> RESERVED = java.util.Set.of("host", "content-length", "transfer-encoding",
            "connection", "webhook-id", "webhook-timestamp", "webhook-signature");

    private final HttpClient client;
    private final TargetGuard guard;
    private final Duration responseTimeout;
    private final Duration connectTimeout;

    public WebhookSender(Vertx vertx, TargetGuard guard, WebhookConfig config) {
        this.guard = guard;
        this.responseTimeout = config.responseTimeout();
        this.connectTimeout = config.connectTimeout();
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setKeepAlive(true)
                // never more connections to a target than attempts may run on it: none waits inside the client
                .setMaxPoolSize(config.maxPerTarget())
                .setForceSni(true)
                .setVerifyHost(true)
                .setTryUseCompression(false)
                .setMaxRedirects(0);
        config.trustCertificates().ifPresent(pem -> options.setTrustOptions(new PemTrustOptions().addCertPath(pem)));
        this.client = vertx.createHttpClient(options);
    }

    /** Checks the target, then sends; never fails: every problem is an {@link AttemptOutcome}. */
    public Uni<AttemptOutcome> send(RenderedRequest request, Map<String, String> signatureHeaders) {
        long started = System.nanoTime();
        Uni<Target> checked = Uni.createFrom().item(() -> {
            try {
                return guard.check(request.url());
            } catch (UnknownHostException e) {
                throw new UnresolvedHost(e.getMessage());
            }
        });
        // a host name may need DNS, which blocks: off the event loop (an address literal is checked in place)
        if (!TargetGuard.hasAddressLiteral(request.url())) {
            checked = checked.runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
        }
        return checked
                .flatMap(target -> exchange(target, request, signatureHeaders, started))
                .onFailure().recoverWithItem(failure -> outcomeOf(failure, started));
    }

    private Uni<AttemptOutcome> exchange(Target target, RenderedRequest request, Map<String, String> signatureHeaders,
            long started) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.valueOf(request.method()))
                .setHost(target.host())
                .setPort(target.port())
                .setSsl(target.ssl())
                .setURI(target.path())
                .setServer(SocketAddress.inetSocketAddress(target.port(), target.address().getHostAddress()))
                .setFollowRedirects(false)
                .setConnectTimeout(connectTimeout.toMillis())
                .setIdleTimeout(responseTimeout.toMillis());
        request.headers().forEach((name, value) -> {
            // flow-engine refuses these in a definition; a command that carries them anyway does not choose them
            if (!RESERVED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                options.putHeader(name, value);
            }
        });
        options.putHeader("content-type", "application/json");
        options.putHeader("user-agent", USER_AGENT);
        signatureHeaders.forEach(options::putHeader);
        return client.request(options)
                .flatMap(req -> req.send(Buffer.buffer(request.body())))
                .flatMap(response -> {
                    int status = response.statusCode();
                    String retryAfter = response.getHeader("retry-after");
                    response.handler(ignored -> {
                    });
                    return response.end().onFailure().recoverWithNull()
                            .map(ignored -> AttemptOutcome.response(status,
                                    status == 429 || status == 503
                                            ? RetrySchedule.parseRetryAfter(retryAfter, Instant.now())
                                            : java.util.Optional.empty(),
                                    millisSince(started)));
                })
                .ifNoItem().after(connectTimeout.plus(responseTimeout))
                .failWith(() -> new TimeoutException("no response within " + connectTimeout.plus(responseTimeout)));
    }

    private static AttemptOutcome outcomeOf(Throwable failure, long started) {
        if (failure instanceof TargetRefusedException refused) {
            return AttemptOutcome.refused(refused.getMessage());
        }
        if (failure instanceof UnresolvedHost) {
            return AttemptOutcome.error("the host does not resolve: " + failure.getMessage(), millisSince(started));
        }
        return AttemptOutcome.error(describe(failure), millisSince(started));
    }

    /** The failure's message and, when it wraps one, its root cause's (e.g. why a TLS handshake failed). */
    static String describe(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != failure && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += ": " + root.getMessage();
        }
        return message;
    }

    private static long millisSince(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }

    /** A host name with no address (may be temporary: retried). */
    static final class UnresolvedHost extends RuntimeException {
        UnresolvedHost(String host) {
            super(host, null, false, false);
        }
    }
}
