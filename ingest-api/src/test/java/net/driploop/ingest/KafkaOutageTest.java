package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.EmbeddedKafka;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Topics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Kafka down: the API keeps answering, and every event reaches the topic once the broker is back. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class KafkaOutageTest {

    @Test
    void apiAnswersWhileBrokerIsDownAndEveryEventArrivesOnceAfterwards() {
        TestApi api = TestApi.newApp();
        EmbeddedKafka kafka = TestInfra.kafka();
        List<String> correlationIds = new ArrayList<>();
        kafka.stop();
        try {
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(503));
            for (int i = 0; i < 10; i++) {
                correlationIds.add(api.registerUser("outage-" + i).statusCode(201).extract().path("correlationId"));
                correlationIds.add(api.activity("outage-" + i, "login").statusCode(201).extract().path("correlationId"));
            }
            // stay down past the producer's send timeout: rows go back to the outbox and the sweep re-sends them
            double failuresBefore = metric("driploop_outbox_send_failures_total");
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    metric("driploop_outbox_send_failures_total") >= failuresBefore + 40);
        } finally {
            kafka.start();
        }
        given().get("/q/health/live").then().statusCode(200);

        // 10 x user.registered + 10 x (user.first_activity, user.active, activity.recorded)
        Set<String> ours = Set.copyOf(correlationIds);
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), Topics.EVENTS)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                    reader.poll(m -> ours.contains(m.header("ce_correlationid"))).size() >= 40);
            List<TopicReader.Message> arrived = reader.poll(m -> ours.contains(m.header("ce_correlationid")));
            Map<String, Long> perEventId = arrived.stream()
                    .collect(Collectors.groupingBy(m -> m.header("ce_id"), Collectors.counting()));
            assertThat(perEventId).hasSize(40);
            assertThat(perEventId.values()).containsOnly(1L);
            Map<String, Long> perType = arrived.stream()
                    .collect(Collectors.groupingBy(m -> m.header("ce_type"), Collectors.counting()));
            assertThat(perType).containsEntry("user.registered", 10L).containsEntry("user.first_activity", 10L)
                    .containsEntry("user.active", 10L).containsEntry("activity.recorded", 10L);
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(200));
        await().atMost(Duration.ofSeconds(15)).until(() -> metric("driploop_outbox_backlog") == 0.0);
    }

    /** A value from /q/metrics (0 when the meter has not been written yet). */
    static double metric(String name) {
        return given().get("/q/metrics").asString().lines()
                .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0.0);
    }
}
