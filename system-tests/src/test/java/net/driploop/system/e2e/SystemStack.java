package net.driploop.system.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import net.driploop.infra.HttpReceiver;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TestSmtp;
import net.driploop.infra.Ports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The whole system for end-to-end tests: one Kafka broker, one PostgreSQL and one SMTP server (GreenMail) in
 * this JVM (local-infra), a local HTTP receiver for webhooks, and the four services as real processes started
 * from their packaged jars on free ports, configured through the environment as an operator would.
 */
final class SystemStack implements AutoCloseable {

    /** How long a service may take to become ready (four JVMs start at once on a small, busy machine). */
    static final Duration READY_DEADLINE = Duration.ofSeconds(150);
    static final String INGEST = "ingest-api";
    static final String FLOWS = "flow-engine";
    static final String EMAIL = "email-worker";
    static final String WEBHOOK = "webhook-worker";
    private static final List<String> SERVICES = List.of(INGEST, FLOWS, EMAIL, WEBHOOK);

    private final String adminToken = random(32);
    private final Map<String, ServiceProcess> services = new LinkedHashMap<>();
    private final HttpReceiver receiver;

    private SystemStack() {
        try {
            receiver = new HttpReceiver();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the infrastructure and the four services, and waits until every one is ready. */
    static SystemStack start() {
        SystemStack stack = new SystemStack();
        // a test JVM that ends without closing the stack (a crash, a timeout) must not leave the services running
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stack.services.values().forEach(ServiceProcess::kill),
                "e2e-services-kill"));
        try {
            stack.startAll();
            return stack;
        } catch (RuntimeException | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startAll() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path logs = Path.of("target", "e2e-logs").toAbsolutePath();
        try {
            Files.createDirectories(logs);
            for (String service : SERVICES) {
                Files.deleteIfExists(logs.resolve(service + ".log"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String kafka = TestInfra.kafka().bootstrapServers();
        Map<String, String> datasource = TestInfra.datasourceConfig();
        int smtpPort = TestSmtp.start();

        Map<String, String> common = new HashMap<>();
        common.put("KAFKA_BOOTSTRAP_SERVERS", kafka);
        common.put("QUARKUS_DATASOURCE_REACTIVE_URL", datasource.get("quarkus.datasource.reactive.url"));
        common.put("QUARKUS_DATASOURCE_JDBC_URL", datasource.get("quarkus.datasource.jdbc.url"));
        common.put("QUARKUS_DATASOURCE_USERNAME", datasource.get("quarkus.datasource.username"));
        common.put("QUARKUS_DATASOURCE_PASSWORD", datasource.get("quarkus.datasource.password"));
        // four Flyway migrations at once on a busy machine: wait for a connection longer than the default 5 s
        common.put("QUARKUS_DATASOURCE_JDBC_ACQUISITION_TIMEOUT", "PT30S");
        common.put("DRIPLOOP_ADMIN_TOKEN", adminToken);
        common.put("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false");
        // a relay killed with rows in flight leaves them leased: the restarted one takes them over after this
        common.put("DRIPLOOP_OUTBOX_LEASE", "PT10S");
        common.put("DRIPLOOP_OUTBOX_SEND_TIMEOUT", "PT3S");

        Map<String, Map<String, String>> own = new HashMap<>();
        // the crash scenario sends a few hundred calls in seconds with one key
        own.put(INGEST, Map.of("DRIPLOOP_RATE_LIMIT_PER_MINUTE", "100000"));
        own.put(FLOWS, Map.of());
        own.put(EMAIL, Map.of("QUARKUS_MAILER_HOST", "127.0.0.1", "QUARKUS_MAILER_PORT", Integer.toString(smtpPort),
                "QUARKUS_MAILER_FROM", "Driploop <noreply@driploop.test>", "QUARKUS_MAILER_START_TLS", "DISABLED",
                "DRIPLOOP_EMAIL_RETRY_DELAYS", "PT1S,PT2S,PT5S",
                "DRIPLOOP_EMAIL_SEND_TIMEOUT", "PT5S",
                // a send cut short by kill -9 is reported as uncertain after this, not after 5 minutes
                "DRIPLOOP_EMAIL_SENDING_LEASE", "PT10S"));
        own.put(WEBHOOK, Map.of("DRIPLOOP_WEBHOOK_SECRET_KEY", Base64.getEncoder().encodeToString(bytes(32)),
                "DRIPLOOP_WEBHOOK_ALLOW_PRIVATE_TARGETS", "true",
                "DRIPLOOP_WEBHOOK_RETRY_DELAYS", "PT1S,PT1S,PT1S"));

        List<String> jvm = List.of("-Xmx256m", "-XX:+UseSerialGC", "-Xss512k",
                // a member killed with kill -9 leaves its consumer group after 6 s instead of 45 s
                "-Dkafka.session.timeout.ms=6000", "-Dkafka.heartbeat.interval.ms=1000");
        for (String service : SERVICES) {
            Map<String, String> env = new HashMap<>(common);
            env.putAll(own.get(service));
            Path jar = root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar");
            services.put(service, new ServiceProcess(service, jar, Ports.free(), env, jvm, logs.resolve(service + ".log")));
        }
        services.values().forEach(ServiceProcess::start);
        CompletableFuture.allOf(services.values().stream()
                .map(s -> CompletableFuture.runAsync(() -> s.awaitReady(READY_DEADLINE))).toArray(CompletableFuture[]::new))
                .join();
    }

    ServiceProcess service(String name) {
        return services.get(name);
    }

    String adminToken() {
        return adminToken;
    }

    HttpReceiver receiver() {
        return receiver;
    }

    /** A new app with its own API key: each scenario works in its own app, so scenarios never see each other. */
    App newApp(String name) {
        return App.create(this, name);
    }

    /**
     * The timeline of one API call from flow-engine's trace API: its automation-log entries from every service in
     * time order, or an empty list while none has arrived yet (404).
     */
    List<JsonNode> trace(String correlationId) {
        JsonHttp.Response response = JsonHttp.call("GET", service(FLOWS).url() + "/admin/v1/traces/" + correlationId,
                adminToken, null);
        if (response.status() == 404) {
            return List.of();
        }
        List<JsonNode> entries = new ArrayList<>();
        response.expect(200).data().forEach(entries::add);
        return entries;
    }

    /**
     * Stops every service (SIGTERM, then SIGKILL after 5 s: nothing is kept) and the receiver; the infrastructure
     * stops with the JVM.
     */
    @Override
    public void close() {
        CompletableFuture.allOf(services.values().stream()
                .map(s -> CompletableFuture.runAsync(() -> s.stop(Duration.ofSeconds(5)))).toArray(CompletableFuture[]::new))
                .join();
        receiver.close();
    }

    private static String random(int n) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(n));
    }

    private static byte[] bytes(int n) {
        byte[] raw = new byte[n];
        new SecureRandom().nextBytes(raw);
        return raw;
    }
}
