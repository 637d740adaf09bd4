package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Topics;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class ActivityAndPurchaseTest {

    static final String ISO_MILLIS = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

    @Test
    void recordsActivityAndReportsFirstActivityOnce() {
        TestApi api = TestApi.newApp();
        api.registerUser("user_42").statusCode(201);

        api.request().body(Map.of("externalUserId", "user_42", "event", "login", "metadata", Map.of("source", "web")))
                .post("/api/v1/events/activity")
                .then().statusCode(201)
                .body("data.id", startsWith("act_"))
                .body("data.event", equalTo("login"))
                .body("data.firstActivity", equalTo(true))
                .body("data.recordedAt", matchesPattern(ISO_MILLIS));

        api.activity("user_42", "login").statusCode(201).body("data.firstActivity", equalTo(false));
    }

    @Test
    void rejectsActivityForUnregisteredUser() {
        TestApi api = TestApi.newApp();
        api.activity("user_42", "login").statusCode(404)
                .body("error.code", equalTo("not_found"))
                .body("error.message", equalTo("User \"user_42\" is not registered. Register with POST /users first."))
                .body("correlationId", startsWith("cor_"));
    }

    @Test
    void validatesActivityFields() {
        TestApi api = TestApi.newApp();
        api.request().body(Map.of("externalUserId", "u", "event", "x".repeat(101)))
                .post("/api/v1/events/activity")
                .then().statusCode(422).body("error.details", hasKey("event"));
        api.request().body(Map.of("event", "login", "metadata", List.of(1)))
                .post("/api/v1/events/activity")
                .then().statusCode(422)
                .body("error.details", hasKey("externalUserId"))
                .body("error.details", hasKey("metadata"));
    }

    @Test
    void concurrentFirstEventsReportFirstActivityExactlyOnce() throws Exception {
        TestApi api = TestApi.newApp();
        api.registerUser("racer").statusCode(201);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(() -> api.activity("racer", "login").statusCode(201).extract().path("data.firstActivity"));
            }
            List<Boolean> firsts = new ArrayList<>();
            for (Future<Boolean> f : pool.invokeAll(calls)) {
                firsts.add(f.get());
            }
            assertThat(firsts).containsOnlyOnce(true);
        } finally {
            pool.shutdownNow();
        }
        try (TopicReader events = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.EVENTS)) {
            String key = api.appId + ":racer";
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    events.poll(m -> key.equals(m.key()) && "user.active".equals(m.header("ce_type"))).size() == 16);
            assertThat(events.poll(m -> key.equals(m.key()) && "user.first_activity".equals(m.header("ce_type"))))
                    .hasSize(1);
        }
    }

    @Test
    void normalisesPurchaseDatesToUtcWithMillis() {
        TestApi api = TestApi.newApp();
        api.registerUser("user_42").statusCode(201);

        api.request().body(Map.of("purchaseDate", "2026-06-09", "purchaseEndDate", "2027-06-09",
                        "productId", "pro_annual", "amount", 199, "currency", "USD"))
                .post("/api/v1/users/user_42/purchase")
                .then().statusCode(201)
                .body("data.id", startsWith("pur_"))
                .body("data.externalUserId", equalTo("user_42"))
                .body("data.purchaseDate", equalTo("2026-06-09T00:00:00.000Z"))
                .body("data.purchaseEndDate", equalTo("2027-06-09T00:00:00.000Z"))
                .body("data.productId", equalTo("pro_annual"))
                .body("data.amount", equalTo(199))
                .body("data.currency", equalTo("USD"));

        api.request().body(Map.of("purchaseDate", "2026-06-09T14:30:00+02:00"))
                .post("/api/v1/users/user_42/purchase")
                .then().statusCode(201)
                .body("data.purchaseDate", equalTo("2026-06-09T12:30:00.000Z"))
                .body("data.purchaseEndDate", nullValue());

        api.request().body(Map.of("purchaseDate", "2026-06-09T12:00:00.123456Z", "currency", "eur"))
                .post("/api/v1/users/user_42/purchase")
                .then().statusCode(201)
                .body("data.purchaseDate", equalTo("2026-06-09T12:00:00.123Z"))
                .body("data.currency", equalTo("EUR"));
    }

    @Test
    void validatesPurchaseFields() {
        TestApi api = TestApi.newApp();
        api.registerUser("user_42").statusCode(201);
        api.request().body(Map.of("purchaseDate", "2026-06-09", "purchaseEndDate", "2026-06-01", "amount", -1,
                        "currency", "DOLLARS"))
                .post("/api/v1/users/user_42/purchase")
                .then().statusCode(422)
                .body("error.details", hasKey("purchaseEndDate"))
                .body("error.details", hasKey("amount"))
                .body("error.details", hasKey("currency"));
        api.request().body(Map.of("purchaseDate", "next tuesday"))
                .post("/api/v1/users/user_42/purchase")
                .then().statusCode(422).body("error.details", hasKey("purchaseDate"));
        api.request().body(Map.of("amount", 5))
                .post("/api/v1/users/user_42/purchase")
                .then().statusCode(422).body("error.details.purchaseDate", equalTo("is required"));
        api.request().body(Map.of("purchaseDate", "2026-06-09", "amount", "5"))
                .post("/api/v1/users/user_42/purchase")
                .then().statusCode(422).body("error.details.amount", equalTo("must be a number"));
        api.request().body(Map.of("purchaseDate", "2026-06-09"))
                .post("/api/v1/users/nobody/purchase")
                .then().statusCode(404);
    }
}
