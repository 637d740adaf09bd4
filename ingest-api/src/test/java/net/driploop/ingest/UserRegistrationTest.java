package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class UserRegistrationTest {

    @Test
    void registersNewUserWith201ThenUpdatesWith200() {
        TestApi api = TestApi.newApp();
        String id = api.request().body(Map.of("externalUserId", "user_42", "email", "ada@example.com",
                        "metadata", Map.of("plan", "free", "email_verified", false, "name", "Ada")))
                .post("/api/v1/users")
                .then().statusCode(201)
                .body("data.id", startsWith("usr_"))
                .body("data.externalUserId", equalTo("user_42"))
                .body("data.email", equalTo("ada@example.com"))
                .body("data.status", equalTo("active"))
                .body("data.created", equalTo(true))
                .body("correlationId", matchesPattern("cor_[0-9A-Z]{26}"))
                .extract().path("data.id");

        api.request().body(Map.of("externalUserId", "user_42", "metadata", Map.of("plan", "pro")))
                .post("/api/v1/users")
                .then().statusCode(200)
                .body("data.id", equalTo(id))
                .body("data.created", equalTo(false))
                .body("data.email", equalTo("ada@example.com"));
    }

    @Test
    void acceptsKeyInXApiKeyHeader() {
        TestApi api = TestApi.newApp();
        io.restassured.RestAssured.given().contentType("application/json").header("x-api-key", api.key)
                .body(Map.of("externalUserId", "u1")).post("/api/v1/users")
                .then().statusCode(201).body("data.email", nullValue());
    }

    @Test
    void namesEveryBadFieldIn422() {
        TestApi api = TestApi.newApp();
        Map<String, Object> body = new HashMap<>();
        body.put("externalUserId", "");
        body.put("email", "not-an-email");
        body.put("metadata", Map.of("nested", Map.of("a", 1), "ok", "yes"));
        api.request().body(body).post("/api/v1/users")
                .then().statusCode(422)
                .body("error.code", equalTo("validation_error"))
                .body("error.message", equalTo("Request validation failed"))
                .body("error.details", hasKey("externalUserId"))
                .body("error.details", hasKey("email"))
                .body("error.details", hasKey("metadata.nested"))
                .body("correlationId", startsWith("cor_"));

        api.request().body(Map.of("email", "a@example.com")).post("/api/v1/users")
                .then().statusCode(422).body("error.details.externalUserId", equalTo("is required"));
        api.request().body(Map.of("externalUserId", 42)).post("/api/v1/users")
                .then().statusCode(422).body("error.details.externalUserId", equalTo("must be a string"));
        api.request().body(Map.of("externalUserId", "x".repeat(256))).post("/api/v1/users")
                .then().statusCode(422).body("error.details", hasKey("externalUserId"));
        api.request().body(Map.of("externalUserId", "u", "metadata", "plan")).post("/api/v1/users")
                .then().statusCode(422).body("error.details", hasKey("metadata"));
        api.request().body("{\"externalUserId\":\"u\",\"metadata\":{\"tags\":[1,2]}}").post("/api/v1/users")
                .then().statusCode(422).body("error.details", hasKey("metadata.tags"));
        Map<String, Object> tooMany = new HashMap<>();
        for (int i = 0; i < 101; i++) {
            tooMany.put("k" + i, i);
        }
        api.request().body(Map.of("externalUserId", "u", "metadata", tooMany)).post("/api/v1/users")
                .then().statusCode(422).body("error.details", hasKey("metadata"));
        // nothing was written by any of these
        api.activity("u", "login").statusCode(404);
    }

    @Test
    void mergesMetadataWithPatchAndReturnsTheResult() {
        TestApi api = TestApi.newApp();
        api.request().body(Map.of("externalUserId", "user_42", "metadata", Map.of("plan", "free", "name", "Ada")))
                .post("/api/v1/users").then().statusCode(201);

        api.request().body(Map.of("metadata", Map.of("subscribed", true, "plan", "pro")))
                .patch("/api/v1/users/user_42/metadata")
                .then().statusCode(200)
                .body("data.externalUserId", equalTo("user_42"))
                .body("data.metadata.subscribed", equalTo(true))
                .body("data.metadata.plan", equalTo("pro"))
                .body("data.metadata.name", equalTo("Ada"));

        api.request().body(Map.of("metadata", Map.of("subscribed", false)))
                .patch("/api/v1/users/user_42/metadata")
                .then().statusCode(200).body("data.metadata.subscribed", equalTo(false));
    }

    @Test
    void refusesPatchForUnknownUserAndBadBodies() {
        TestApi api = TestApi.newApp();
        api.request().body(Map.of("metadata", Map.of("plan", "pro")))
                .patch("/api/v1/users/nobody/metadata")
                .then().statusCode(404).body("error.code", equalTo("not_found"))
                .body("error.message", equalTo("User \"nobody\" is not registered. Register with POST /users first."));
        api.registerUser("u1").statusCode(201);
        api.request().body(Map.of()).patch("/api/v1/users/u1/metadata")
                .then().statusCode(422).body("error.details.metadata", equalTo("is required"));
        api.request().body(Map.of("metadata", Map.of())).patch("/api/v1/users/u1/metadata")
                .then().statusCode(422).body("error.details", hasKey("metadata"));
    }

    @Test
    void deactivatePolicyKeepsUserInactiveUntilRegisteredAgain() {
        TestApi api = TestApi.newApp("deactivate");
        String id = api.registerUser("user_42").statusCode(201).extract().path("data.id");

        api.request().delete("/api/v1/users/user_42")
                .then().statusCode(200)
                .body("data", aMapWithSize(3))
                .body("data.externalUserId", equalTo("user_42"))
                .body("data.deleted", equalTo(false))
                .body("data.deactivated", equalTo(true));

        api.activity("user_42", "login").statusCode(404).body("error.code", equalTo("not_found"));
        api.request().body(Map.of("metadata", Map.of("a", 1))).patch("/api/v1/users/user_42/metadata")
                .then().statusCode(404);
        api.request().body(Map.of("purchaseDate", "2026-06-09")).post("/api/v1/users/user_42/purchase")
                .then().statusCode(404);
        api.request().delete("/api/v1/users/user_42").then().statusCode(404);

        api.registerUser("user_42").statusCode(200)
                .body("data.id", equalTo(id))
                .body("data.status", equalTo("active"))
                .body("data.created", equalTo(false));
        api.activity("user_42", "login").statusCode(201);
    }

    @Test
    void deletePolicyRemovesUserAndALaterRegistrationCreatesItAgain() {
        TestApi api = TestApi.newApp("delete");
        String id = api.registerUser("user_42").statusCode(201).extract().path("data.id");
        api.activity("user_42", "login").statusCode(201);

        api.request().delete("/api/v1/users/user_42")
                .then().statusCode(200)
                .body("data.deleted", equalTo(true))
                .body("data.deactivated", equalTo(false));
        api.activity("user_42", "login").statusCode(404);

        api.registerUser("user_42").statusCode(201)
                .body("data.created", equalTo(true))
                .body("data.id", not(equalTo(id)));
        // a re-created user starts over: its next activity is its first
        api.activity("user_42", "login").statusCode(201).body("data.firstActivity", equalTo(true));
    }

    @Test
    void deletingUnknownUserIs404() {
        TestApi api = TestApi.newApp();
        api.request().delete("/api/v1/users/ghost").then().statusCode(404).body("error.code", equalTo("not_found"));
    }
}
