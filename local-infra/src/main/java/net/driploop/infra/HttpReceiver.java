package net.driploop.infra;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP (or HTTPS) receiver on 127.0.0.1 for webhook tests (JDK {@code com.sun.net.httpserver}): answers each
 * path from a script (200 when none) and records every request it received, with the TLS server name the client
 * asked for.
 */
public final class HttpReceiver implements AutoCloseable {

    /** One answer: a status and optional headers. */
    public record Reply(int status, Map<String, String> headers) {
        public static Reply of(int status) {
            return new Reply(status, Map.of());
        }

        /** No answer at all: the request hangs until the caller gives up. */
        public static Reply hang() {
            return new Reply(-1, Map.of());
        }
    }

    /** One request as received; {@code sni} is the server name of the TLS handshake (null over plain HTTP). */
    public record Received(String method, String path, Map<String, String> headers, String body, long atMillis, String sni) {
        public String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    private final HttpServer server;
    private final Map<String, Deque<Reply>> scripts = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpen = new AtomicInteger();
    private volatile long delayMillis;

    public HttpReceiver() throws IOException {
        this(null);
    }

    /** An HTTPS receiver when {@code tls} is given (its key and certificate), else plain HTTP. */
    public HttpReceiver(SSLContext tls) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(address, 50);
        } else {
            HttpsServer https = HttpsServer.create(address, 50);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Map<String, String> headers = new ConcurrentHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(), String.join(",", values)));
            String path = exchange.getRequestURI().getRawPath();
            if (exchange.getRequestURI().getRawQuery() != null) {
                path += "?" + exchange.getRequestURI().getRawQuery();
            }
            received.add(new Received(exchange.getRequestMethod(), path, headers, body, System.currentTimeMillis(),
                    serverName(exchange)));
            mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            Deque<Reply> script = scripts.get(exchange.getRequestURI().getRawPath());
            Reply reply;
            synchronized (this) {
                reply = script == null || script.isEmpty() ? Reply.of(200)
                        : script.size() == 1 ? script.peekFirst() : script.pollFirst();
            }
            if (reply.status() < 0) {
                return; // leave the exchange open: the worker's response timeout must end it
            }
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            open.decrementAndGet();
            reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.sendResponseHeaders(reply.status(), -1);
            exchange.close();
        });
        server.start();
    }

    /** Answers every request only after {@code millis} (a slow receiver; up to four at once). */
    public void answerAfter(long millis) {
        delayMillis = millis;
    }

    /** The most requests this receiver had open at once (hanging ones stay open). */
    public int mostOpen() {
        return mostOpen.get();
    }

    /** Answers {@code path} with these replies in turn, the last one from then on. */
    public void script(String path, Reply... replies) {
        scripts.put(path, new ArrayDeque<>(List.of(replies)));
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The URL of {@code path} with {@code host} as the name (which must lead to 127.0.0.1). */
    public String url(String host, String path) {
        return (server instanceof HttpsServer ? "https://" : "http://") + host + ":" + server.getAddress().getPort() + path;
    }

    private static String serverName(com.sun.net.httpserver.HttpExchange exchange) {
        if (exchange instanceof HttpsExchange https && https.getSSLSession() instanceof ExtendedSSLSession session) {
            return session.getRequestedServerNames().stream()
                    .map(name -> name instanceof SNIHostName host ? host.getAsciiName() : name.toString())
                    .findFirst().orElse(null);
        }
        return null;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Every request received, in order. */
    public List<Received> all() {
        return List.copyOf(received);
    }

    public List<Received> received(String path) {
        return received.stream().filter(r -> r.path().equals(path) || r.path().startsWith(path + "?")).toList();
    }

    /**
     * True when one of the request's {@code webhook-signature} values is the Standard Webhooks {@code v1}
     * signature of {@code "{webhook-id}.{webhook-timestamp}.{body}"} under the {@code whsec_} secret: verified as a
     * receiver would, from the spec alone, with none of the sender's code.
     */
    public static boolean hasValidSignature(String secret, Received request) {
        String id = request.header("webhook-id");
        String timestamp = request.header("webhook-timestamp");
        String signatures = request.header("webhook-signature");
        if (id == null || timestamp == null || signatures == null) {
            return false;
        }
        byte[] expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            expected = Base64.getEncoder().encode(mac.doFinal((id + "." + timestamp + "." + request.body())
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        for (String signature : signatures.split(" ")) {
            String[] parts = signature.split(",", 2);
            if (parts.length == 2 && parts[0].equals("v1")
                    && MessageDigest.isEqual(parts[1].getBytes(StandardCharsets.UTF_8), expected)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
