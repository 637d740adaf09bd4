package net.driploop.infra;

import net.driploop.model.Topics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The servers that every module's tests share: one Kafka broker and one PostgreSQL per test JVM, started on
 * first use and stopped when the JVM exits. {@code DRIPLOOP_TEST_DATABASE_URL} (e.g.
 * {@code postgresql://host:5432/db}, with {@code DRIPLOOP_TEST_DATABASE_USER}/{@code _PASSWORD}) points the
 * tests at an external PostgreSQL instead.
 */
public final class TestInfra {

    /** Every topic of the system; created up front so that consumers never wait for auto-creation. */
    public static final List<String> TOPICS = List.of(Topics.EVENTS, Topics.EMAIL_COMMANDS, Topics.WEBHOOK_COMMANDS,
            Topics.DELIVERY_RESULTS, Topics.AUTOMATION_LOG, Topics.dlq(Topics.EMAIL_COMMANDS),
            Topics.dlq(Topics.WEBHOOK_COMMANDS), Topics.dlq(Topics.EVENTS), Topics.dlq(Topics.DELIVERY_RESULTS));

    private static EmbeddedKafka kafka;
    private static EmbeddedPostgresServer postgres;

    private TestInfra() {
    }

    /** The shared broker, started on first call. */
    public static synchronized EmbeddedKafka kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafka.temporary().start();
            kafka.createTopics(TOPICS);
            EmbeddedKafka started = kafka;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "embedded-kafka-stop"));
        }
        return kafka;
    }

    /** Quarkus configuration pointing at the shared PostgreSQL (embedded unless configured). */
    public static synchronized Map<String, String> datasourceConfig() {
        Map<String, String> config = new HashMap<>();
        String external = System.getenv("DRIPLOOP_TEST_DATABASE_URL");
        if (external != null && !external.isBlank()) {
            String plain = external.replaceFirst("^jdbc:", "");
            config.put("quarkus.datasource.reactive.url", plain);
            config.put("quarkus.datasource.jdbc.url", "jdbc:" + plain);
            config.put("quarkus.datasource.username", env("DRIPLOOP_TEST_DATABASE_USER", "postgres"));
            config.put("quarkus.datasource.password", env("DRIPLOOP_TEST_DATABASE_PASSWORD", "postgres"));
            return config;
        }
        if (postgres == null) {
            postgres = EmbeddedPostgresServer.start(null, 0);
            EmbeddedPostgresServer started = postgres;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "embedded-postgres-stop"));
        }
        config.put("quarkus.datasource.reactive.url", postgres.reactiveUrl());
        config.put("quarkus.datasource.jdbc.url", postgres.jdbcUrl());
        config.put("quarkus.datasource.username", EmbeddedPostgresServer.USER);
        config.put("quarkus.datasource.password", EmbeddedPostgresServer.PASSWORD);
        return config;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
