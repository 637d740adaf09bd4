package net.driploop.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Json;
import net.driploop.model.Topics;
import net.driploop.model.event.ActivityRecorded;
import net.driploop.model.event.PurchaseRecorded;
import net.driploop.model.event.UserDeleted;
import net.driploop.model.event.UserRegistered;
import net.driploop.model.log.AutomationLogEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EventPublishingTest {

    static final ObjectMapper JSON = Json.newMapper();
    static TopicReader events;
    static TopicReader log;

    @BeforeAll
    static void readers() {
        events = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.EVENTS);
        log = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.AUTOMATION_LOG);
    }

    @AfterAll
    static void close() {
        events.close();
        log.close();
    }

    static List<TopicReader.Message> eventsOf(String correlationId) {
        return events.poll(m -> correlationId.equals(m.header("ce_correlationid")));
    }

    @Test
    void publishesEachChangeWithCloudEventHeadersKeyAndUserSnapshot() throws Exception {
        TestApi api = TestApi.newApp();
        String cor = api.request().body(Map.of("externalUserId", "user_42", "email", "ada@example.com",
                        "metadata", Map.of("plan", "free", "name", "Ada")))
                .post("/api/v1/users").then().statusCode(201).extract().path("correlationId");

        await().atMost(Duration.ofSeconds(20)).until(() -> eventsOf(cor).size() == 1);
        TopicReader.Message registered = eventsOf(cor).get(0);
        assertThat(registered.key()).isEqualTo(api.appId + ":user_42");
        assertThat(registered.header("ce_type")).isEqualTo("user.registered");
        assertThat(registered.header("ce_specversion")).isEqualTo("1.0");
        assertThat(registered.header("ce_id")).startsWith("evt_");
        assertThat(registered.header("ce_source")).isEqualTo("/driploop/ingest-api");
        assertThat(registered.header("ce_subject")).isEqualTo("user_42");
        assertThat(registered.header("ce_time")).matches("\\d{4}-.*\\.\\d{3}Z");
        UserRegistered event = JSON.readValue(registered.value(), UserRegistered.class);
        assertThat(event.appId()).isEqualTo(api.appId);
        assertThat(event.user().email()).isEqualTo("ada@example.com");
        assertThat(event.user().metadata()).containsEntry("plan", "free").containsEntry("name", "Ada");
        assertThat(event.user().status()).isEqualTo("active");
        assertThat(event.reactivated()).isFalse();
    }

    @Test
    void publishesActivityEventsAndFirstActivityOnlyOnce() throws Exception {
        TestApi api = TestApi.newApp();
        api.registerUser("u1").statusCode(201);
        String first = api.request().body(Map.of("externalUserId", "u1", "event", "checkout_completed",
                "metadata", Map.of("cart", 3))).post("/api/v1/events/activity").then().statusCode(201)
                .extract().path("correlationId");
        String second = api.activity("u1", "login").statusCode(201).extract().path("correlationId");

        await().atMost(Duration.ofSeconds(20)).until(() -> eventsOf(first).size() == 3 && eventsOf(second).size() == 2);
        assertThat(eventsOf(first)).extracting(m -> m.header("ce_type"))
                .containsExactlyInAnyOrder("user.first_activity", "user.active", "activity.recorded");
        assertThat(eventsOf(second)).extracting(m -> m.header("ce_type"))
                .containsExactlyInAnyOrder("user.active", "activity.recorded");
        TopicReader.Message recorded = eventsOf(first).stream()
                .filter(m -> "activity.recorded".equals(m.header("ce_type"))).findFirst().orElseThrow();
        ActivityRecorded activity = JSON.readValue(recorded.value(), ActivityRecorded.class);
        assertThat(activity.activity().name()).isEqualTo("checkout_completed");
        assertThat(activity.activity().metadata()).containsEntry("cart", 3);
        assertThat(activity.user().firstActivityAt()).isEqualTo(activity.activity().recordedAt());
        assertThat(activity.user().lastActiveAt()).isEqualTo(activity.activity().recordedAt());
    }

    @Test
    void publishesMetadataPurchaseAndDeletionEvents() throws Exception {
        TestApi api = TestApi.newApp();
        api.registerUser("u1").statusCode(201);
        String patch = api.request().body(Map.of("metadata", Map.of("subscribed", true)))
                .patch("/api/v1/users/u1/metadata").then().statusCode(200).extract().path("correlationId");
        String repost = api.request().body(Map.of("externalUserId", "u1", "metadata", Map.of("plan", "pro")))
                .post("/api/v1/users").then().statusCode(200).extract().path("correlationId");
        String purchase = api.request().body(Map.of("purchaseDate", "2026-06-09", "purchaseEndDate", "2027-06-09",
                        "productId", "pro_annual", "amount", 199.5, "currency", "USD"))
                .post("/api/v1/users/u1/purchase").then().statusCode(201).extract().path("correlationId");
        String delete = api.request().delete("/api/v1/users/u1").then().statusCode(200).extract().path("correlationId");

        await().atMost(Duration.ofSeconds(20)).until(() -> eventsOf(patch).size() == 1 && eventsOf(repost).size() == 1
                && eventsOf(purchase).size() == 1 && eventsOf(delete).size() == 1);
        assertThat(eventsOf(patch).get(0).header("ce_type")).isEqualTo("user.metadata_updated");
        JsonNode patched = JSON.readTree(eventsOf(patch).get(0).value());
        assertThat(patched.path("changes").path("subscribed").asBoolean()).isTrue();
        assertThat(patched.path("user").path("metadata").path("subscribed").asBoolean()).isTrue();
        assertThat(eventsOf(repost).get(0).header("ce_type")).isEqualTo("user.metadata_updated");

        PurchaseRecorded recorded = JSON.readValue(eventsOf(purchase).get(0).value(), PurchaseRecorded.class);
        assertThat(recorded.purchase().purchaseEndDate()).hasToString("2027-06-09T00:00:00Z");
        assertThat(recorded.purchase().amount()).isEqualByComparingTo("199.5");
        assertThat(recorded.user().metadata()).containsEntry("plan", "pro");

        UserDeleted deleted = JSON.readValue(eventsOf(delete).get(0).value(), UserDeleted.class);
        assertThat(deleted.deactivated()).isTrue();
        assertThat(deleted.deleted()).isFalse();
        assertThat(eventsOf(delete).get(0).key()).isEqualTo(api.appId + ":u1");
    }

    @Test
    void logsEveryRequestOnceTheAppIsKnownAcceptedOrRefused() throws Exception {
        TestApi api = TestApi.newApp();
        String accepted = api.registerUser("u1").statusCode(201).extract().path("correlationId");
        String refused = api.activity("ghost", "login").statusCode(404).extract().path("correlationId");
        String invalid = api.request().body(Map.of("externalUserId", "")).post("/api/v1/users")
                .then().statusCode(422).extract().path("correlationId");

        await().atMost(Duration.ofSeconds(20)).until(() -> logOf(accepted) != null && logOf(refused) != null
                && logOf(invalid) != null);
        AutomationLogEntry ok = logOf(accepted);
        assertThat(ok.service()).isEqualTo("ingest-api");
        assertThat(ok.type()).isEqualTo("api.request");
        assertThat(ok.appId()).isEqualTo(api.appId);
        assertThat(ok.externalUserId()).isEqualTo("u1");
        assertThat(ok.detail()).containsEntry("status", 201).containsEntry("path", "/api/v1/users");
        assertThat(ok.detail().get("events").toString()).contains("user.registered");
        assertThat(logOf(refused).detail()).containsEntry("status", 404).containsEntry("error", "not_found");
        assertThat(logOf(invalid).detail()).containsEntry("status", 422).containsEntry("error", "validation_error");
    }

    static AutomationLogEntry logOf(String correlationId) throws Exception {
        List<TopicReader.Message> found = log.poll(m -> correlationId.equals(m.key()));
        return found.isEmpty() ? null : JSON.readValue(found.get(0).value(), AutomationLogEntry.class);
    }
}
