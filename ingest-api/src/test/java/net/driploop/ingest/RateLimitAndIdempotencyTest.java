package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class RateLimitAndIdempotencyTest {

    @Test
    void allows120RequestsPerMinuteThenAnswers429WithRetryAfter() {
        TestApi api = TestApi.newApp();
        long window = System.currentTimeMillis() / 60_000;
        Response first = api.request().body(Map.of("externalUserId", "u")).post("/api/v1/users");
        if (System.currentTimeMillis() / 60_000 != window) {
            first = api.request().body(Map.of("externalUserId", "u")).post("/api/v1/users");
        }
        assertThat(first.header("X-RateLimit-Limit")).isEqualTo("120");
        int used = 120 - Integer.parseInt(first.header("X-RateLimit-Remaining"));
        long reset = Long.parseLong(first.header("X-RateLimit-Reset"));
        assertThat(reset % 60).isZero();
        assertThat(reset).isGreaterThan(System.currentTimeMillis() / 1000);
        for (int i = used; i < 120; i++) {
            api.activity("u", "tick").statusCode(201);
        }
        Response limited = api.request().body(Map.of("externalUserId", "u", "event", "tick"))
                .post("/api/v1/events/activity");
        if (Long.parseLong(limited.header("X-RateLimit-Reset")) != reset) {
            return; // the minute rolled over mid-test: the new window is fresh, nothing to check this run
        }
        limited.then().statusCode(429).body("error.code", equalTo("rate_limited"));
        assertThat(limited.header("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 60L);
    }

    @Test
    void sameIdempotencyKeyAndBodyReplaysTheFirstResponse() {
        TestApi api = TestApi.newApp();
        api.registerUser("user_42").statusCode(201);
        Map<String, Object> body = Map.of("externalUserId", "user_42", "event", "login");
        Response first = api.request().header("Idempotency-Key", "k-1").body(body).post("/api/v1/events/activity");
        first.then().statusCode(201).body("data.firstActivity", equalTo(true));
        Response again = api.request().header("Idempotency-Key", "k-1").body(body).post("/api/v1/events/activity");
        again.then().statusCode(201);
        assertThat(again.asString()).isEqualTo(first.asString());
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        // the replay changed nothing: the next new event is still not the first, and it is a new activity
        Response next = api.request().body(body).post("/api/v1/events/activity");
        next.then().statusCode(201).body("data.firstActivity", equalTo(false));
        assertThat(next.<String>path("data.id")).isNotEqualTo(first.<String>path("data.id"));
    }

    @Test
    void sameIdempotencyKeyWithAnotherBodyIs409() {
        TestApi api = TestApi.newApp();
        api.request().header("Idempotency-Key", "k-2").body(Map.of("externalUserId", "a"))
                .post("/api/v1/users").then().statusCode(201);
        api.request().header("Idempotency-Key", "k-2").body(Map.of("externalUserId", "b"))
                .post("/api/v1/users").then().statusCode(409).body("error.code", equalTo("idempotency_conflict"));
        api.activity("b", "login").statusCode(404);
    }

    @Test
    void idempotencyKeysAreScopedToTheApp() {
        TestApi one = TestApi.newApp();
        TestApi two = TestApi.newApp();
        one.request().header("Idempotency-Key", "shared").body(Map.of("externalUserId", "a"))
                .post("/api/v1/users").then().statusCode(201);
        two.request().header("Idempotency-Key", "shared").body(Map.of("externalUserId", "z"))
                .post("/api/v1/users").then().statusCode(201).body("data.externalUserId", equalTo("z"));
    }

    @Test
    void failedCallsDoNotUseUpTheIdempotencyKey() {
        TestApi api = TestApi.newApp();
        Map<String, Object> body = Map.of("externalUserId", "late", "event", "login");
        api.request().header("Idempotency-Key", "k-3").body(body).post("/api/v1/events/activity")
                .then().statusCode(404);
        api.registerUser("late").statusCode(201);
        api.request().header("Idempotency-Key", "k-3").body(body).post("/api/v1/events/activity")
                .then().statusCode(201);
    }
}
