package net.driploop.infra;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A webhook receiver for benchmarks and local runs (the JDK's HTTP server, on 127.0.0.1): on the fast port every
 * request is answered {@code 204} at once; on the slow port each answer waits {@code slowDelaySeconds}, without
 * holding a thread. {@code GET /stats} on the fast port counts what was received and answered.
 * <p>
 * Usage: {@code WebhookReceiver [fastPort [slowPort [slowDelaySeconds]]]} (default 9901 9902 10). Prints
 * {@code WEBHOOK RECEIVER READY} once both ports listen.
 */
public final class WebhookReceiver {

    private final AtomicLong fast = new AtomicLong();
    private final AtomicLong slowReceived = new AtomicLong();
    private final AtomicLong slowAnswered = new AtomicLong();
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "slow-answers");
        thread.setDaemon(true);
        return thread;
    });

    public static void main(String[] args) throws Exception {
        int fastPort = args.length > 0 ? Integer.parseInt(args[0]) : 9901;
        int slowPort = args.length > 1 ? Integer.parseInt(args[1]) : 9902;
        long slowDelayMillis = (long) ((args.length > 2 ? Double.parseDouble(args[2]) : 10) * 1000);
        WebhookReceiver receiver = new WebhookReceiver();
        HttpServer fastServer = receiver.fast(fastPort);
        HttpServer slowServer = receiver.slow(slowPort, slowDelayMillis);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fastServer.stop(0);
            slowServer.stop(0);
            stopped.countDown();
        }, "receiver-stop"));
        System.out.println("WEBHOOK RECEIVER READY fast=http://127.0.0.1:" + fastPort + " slow=http://127.0.0.1:"
                + slowPort + " (" + slowDelayMillis + " ms)");
        System.out.flush();
        stopped.await();
    }

    /** Answers at once, on the server's own dispatcher thread (no hand-off). */
    private HttpServer fast(int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.createContext("/", exchange -> {
            drain(exchange);
            if ("GET".equals(exchange.getRequestMethod()) && "/stats".equals(exchange.getRequestURI().getPath())) {
                byte[] stats = ("fast " + fast.get() + "\nslow_received " + slowReceived.get() + "\nslow_answered "
                        + slowAnswered.get() + "\n").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, stats.length);
                exchange.getResponseBody().write(stats);
                exchange.close();
                return;
            }
            fast.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.setExecutor(null);
        server.start();
        return server;
    }

    /** Answers after the delay; the exchange stays open meanwhile, no thread waits for it. */
    private HttpServer slow(int port, long delayMillis) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.createContext("/", exchange -> {
            drain(exchange);
            slowReceived.incrementAndGet();
            later.schedule(() -> {
                try {
                    exchange.sendResponseHeaders(204, -1);
                    slowAnswered.incrementAndGet();
                } catch (IOException e) {
                    // the client gave up first
                } finally {
                    exchange.close();
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
        });
        server.setExecutor(null);
        server.start();
        return server;
    }

    private static void drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }
}
