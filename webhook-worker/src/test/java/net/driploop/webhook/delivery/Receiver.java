package net.driploop.webhook.delivery;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP (or HTTPS) receiver on 127.0.0.1 for tests: answers each path from a script and records what it
 * received, with the TLS server name the client asked for.
 */
final class Receiver implements AutoCloseable {

    /** One answer: a status and optional headers. */
    record Reply(int status, Map<String, String> headers) {
        static Reply of(int status) {
            return new Reply(status, Map.of());
        }

        /** No answer at all: the request hangs until the caller gives up. */
        static Reply hang() {
            return new Reply(-1, Map.of());
        }
    }

    /** One request as received; {@code sni} is the server name of the TLS handshake (null over plain HTTP). */
    record Received(String method, String path, Map<String, String> headers, String body, long atMillis, String sni) {
        String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    private final HttpServer server;
    private final Map<String, Deque<Reply>> scripts = new ConcurrentHashMap<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpen = new AtomicInteger();
    private volatile long delayMillis;

    Receiver() throws IOException {
        this(null);
    }

    /** An HTTPS receiver when {@code tls} is given (its key and certificate), else plain HTTP. */
    Receiver(SSLContext tls) throws IOException {
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
    void answerAfter(long millis) {
        delayMillis = millis;
    }

    /** The most requests this receiver had open at once (hanging ones stay open). */
    int mostOpen() {
        return mostOpen.get();
    }

    /** Answers {@code path} with these replies in turn, the last one from then on. */
    void script(String path, Reply... replies) {
        scripts.put(path, new ArrayDeque<>(List.of(replies)));
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The URL of {@code path} with {@code host} as the name (which must lead to 127.0.0.1). */
    String url(String host, String path) {
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

    int port() {
        return server.getAddress().getPort();
    }

    /** Every request received, in order. */
    List<Received> all() {
        return List.copyOf(received);
    }

    List<Received> received(String path) {
        return received.stream().filter(r -> r.path().equals(path) || r.path().startsWith(path + "?")).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
