package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EnvelopeAndAuthTest {

    static final String CORRELATION = "cor_[0-9A-Z]{26}";

    @Test
    void refusesMissingInvalidAndMalformedKeysWith401() {
        given().contentType(ContentType.JSON).body(Map.of("externalUserId", "u")).post("/api/v1/users")
                .then().statusCode(401)
                .body("error.code", equalTo("unauthorized"))
                .body("correlationId", matchesPattern(CORRELATION));
        given().contentType(ContentType.JSON).header("Authorization", "Bearer dl_live_" + "A".repeat(43))
                .body(Map.of("externalUserId", "u")).post("/api/v1/users")
                .then().statusCode(401).body("error.code", equalTo("unauthorized"));
        given().contentType(ContentType.JSON).header("x-api-key", "nope")
                .body(Map.of("externalUserId", "u")).post("/api/v1/users")
                .then().statusCode(401).body("error.code", equalTo("unauthorized"));
    }

    @Test
    void revokedKeyIsRefusedWithinFiveSeconds() {
        TestApi api = TestApi.newApp();
        api.registerUser("u1").statusCode(201);
        TestApi.admin().delete("/admin/v1/apps/" + api.appId + "/keys/" + api.keyId)
                .then().statusCode(200).body("data.revokedAt", matchesPattern("\\d{4}-.*Z"));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> api.registerUser("u2").statusCode(401));
    }

    @Test
    void everyResponseIsAnEnvelopeEvenWithoutARoute() {
        TestApi api = TestApi.newApp();
        api.request().get("/api/v1/nothing-here")
                .then().statusCode(404).body("error.code", equalTo("not_found"))
                .body("correlationId", matchesPattern(CORRELATION));
        given().get("/totally/unknown")
                .then().statusCode(404).body("error.code", equalTo("not_found"))
                .body("correlationId", matchesPattern(CORRELATION));
        api.request().get("/api/v1/users")
                .then().statusCode(405).body("error.code", equalTo("method_not_allowed"))
                .body("correlationId", matchesPattern(CORRELATION));
        given().header("Authorization", "Bearer " + api.key).contentType("text/plain").body("hello")
                .post("/api/v1/users")
                .then().statusCode(415).body("error.code", equalTo("unsupported_media_type"))
                .body("correlationId", matchesPattern(CORRELATION));
    }

    @Test
    void malformedJsonIs400AndOversizedBodyIs413() {
        TestApi api = TestApi.newApp();
        api.request().body("{\"externalUserId\": ").post("/api/v1/users")
                .then().statusCode(400).body("error.code", equalTo("bad_request"))
                .body("correlationId", matchesPattern(CORRELATION));
        api.request().body("[1,2]").post("/api/v1/users")
                .then().statusCode(400).body("error.code", equalTo("bad_request"));
        String huge = "{\"externalUserId\":\"u\",\"metadata\":{\"big\":\"" + "x".repeat(400_000) + "\"}}";
        api.request().body(huge).post("/api/v1/users")
                .then().statusCode(413).body("error.code", equalTo("payload_too_large"));
        api.activity("u", "login").statusCode(404);
    }

    @Test
    void correlationIdsAreUniqueAndTimeOrdered() {
        TestApi api = TestApi.newApp();
        String first = api.registerUser("a").extract().path("correlationId");
        String second = api.registerUser("b").extract().path("correlationId");
        org.assertj.core.api.Assertions.assertThat(first).isNotEqualTo(second);
        org.assertj.core.api.Assertions.assertThat(first.compareTo(second)).isNegative();
    }

    @Test
    void adminApiManagesAppsAndKeysAndNeverShowsSecretsAgain() {
        given().get("/admin/v1/apps").then().statusCode(401).body("error.code", equalTo("unauthorized"));
        given().header("Authorization", "Bearer wrong").get("/admin/v1/apps").then().statusCode(401);

        String appId = TestApi.admin().body(Map.of("name", "Shop", "deletePolicy", "delete"))
                .post("/admin/v1/apps").then().statusCode(201)
                .body("data.id", startsWith("app_"))
                .body("data.name", equalTo("Shop"))
                .body("data.deletePolicy", equalTo("delete"))
                .body("data.createdAt", matchesPattern("\\d{4}-.*\\.\\d{3}Z"))
                .extract().path("data.id");
        TestApi.admin().get("/admin/v1/apps/" + appId).then().statusCode(200).body("data.name", equalTo("Shop"));
        TestApi.admin().body(Map.of("deletePolicy", "deactivate")).patch("/admin/v1/apps/" + appId)
                .then().statusCode(200).body("data.deletePolicy", equalTo("deactivate")).body("data.name", equalTo("Shop"));
        TestApi.admin().body(Map.of("deletePolicy", "shred")).patch("/admin/v1/apps/" + appId)
                .then().statusCode(422).body("error.details", hasKey("deletePolicy"));
        TestApi.admin().get("/admin/v1/apps").then().statusCode(200);
        TestApi.admin().get("/admin/v1/apps/app_missing").then().statusCode(404).body("error.code", equalTo("not_found"));

        String key = TestApi.admin().body(Map.of("name", "backend")).post("/admin/v1/apps/" + appId + "/keys")
                .then().statusCode(201)
                .body("data.id", startsWith("key_"))
                .body("data.key", matchesPattern("dl_live_[0-9A-Za-z]{43}"))
                .extract().path("data.key");
        TestApi.admin().get("/admin/v1/apps/" + appId + "/keys").then().statusCode(200)
                .body("data[0].prefix", equalTo(key.substring(0, 12)))
                .body("data[0]", not(hasKey("key")))
                .body("data[0].revokedAt", equalTo(null));
        TestApi.admin().body(Map.of("name", "x")).post("/admin/v1/apps/app_missing/keys").then().statusCode(404);
        TestApi.admin().delete("/admin/v1/apps/" + appId + "/keys/key_missing").then().statusCode(404);
    }
}
