package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import net.driploop.infra.DatabaseOutage;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;

/** What an operator sees: health, metrics, secrets at rest, and the database going away. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class OperationsTest {

    @Inject
    Pool pool;

    @Test
    void healthChecksReportDatabaseAndKafka() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body(containsString("kafka"))
                .body(containsString("Reactive PostgreSQL connections health check"));
    }

    @Test
    void metricsShowRequestsByEndpointAndTheOutboxBacklog() {
        TestApi api = TestApi.newApp();
        api.registerUser("m1").statusCode(201);
        api.activity("m1", "login").statusCode(201);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("driploop_outbox_backlog");
        assertThat(metrics).contains("driploop_outbox_published_total");
        assertThat(metrics).containsPattern("http_server_requests_seconds_count\\{.*uri=\"/api/v1/events/activity\"");
        assertThat(metrics).containsPattern("http_server_requests_seconds_count\\{.*uri=\"/api/v1/users\"");
    }

    @Test
    void apiKeysAreStoredOnlyAsHashes() {
        TestApi api = TestApi.newApp();
        List<String> rows = new ArrayList<>();
        for (Row row : pool.query("SELECT k::text AS r FROM ingest.api_keys k").execute().await().indefinitely()) {
            rows.add(row.getString("r"));
        }
        assertThat(rows).isNotEmpty();
        assertThat(String.join("\n", rows)).doesNotContain(api.key).doesNotContain(api.key.substring(12));
    }

    @Test
    void databaseOutageIsA503WithNothingChangedAndServiceResumesAfter() throws Exception {
        TestApi api = TestApi.newApp();
        api.registerUser("before").statusCode(201);
        try (DatabaseOutage outage = DatabaseOutage.begin()) {
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    given().contentType("application/json").header("Authorization", "Bearer " + api.key)
                            .body(Map.of("externalUserId", "during")).post("/api/v1/users")
                            .then().statusCode(503)
                            .body("error.code", equalTo("service_unavailable"))
                            .body("correlationId", matchesPattern("cor_[0-9A-Z]{26}")));
            given().get("/q/health/ready").then().statusCode(503);
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> api.registerUser("after").statusCode(201));
        // the refused registration left nothing behind
        api.activity("during", "login").statusCode(404);
        api.activity("before", "login").statusCode(201);
    }
}
