package net.driploop.ingest;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;

import java.util.Map;

import static io.restassured.RestAssured.given;

/** A fresh app with its own API key, and requests made with them. */
public final class TestApi {

    public static final String ADMIN_TOKEN = "test-admin-token";

    public final String appId;
    public final String keyId;
    public final String key;

    private TestApi(String appId, String keyId, String key) {
        this.appId = appId;
        this.keyId = keyId;
        this.key = key;
    }

    /** A new app (delete policy {@code deactivate}) and key. */
    public static TestApi newApp() {
        return newApp("deactivate");
    }

    public static TestApi newApp(String deletePolicy) {
        String appId = admin().body(Map.of("name", "test app", "deletePolicy", deletePolicy))
                .post("/admin/v1/apps").then().statusCode(201).extract().path("data.id");
        Map<String, String> key = admin().body(Map.of("name", "test key"))
                .post("/admin/v1/apps/" + appId + "/keys").then().statusCode(201).extract().path("data");
        return new TestApi(appId, key.get("id"), key.get("key"));
    }

    public static RequestSpecification admin() {
        return given().contentType(ContentType.JSON).header("Authorization", "Bearer " + ADMIN_TOKEN);
    }

    public RequestSpecification request() {
        return given().contentType(ContentType.JSON).header("Authorization", "Bearer " + key);
    }

    public ValidatableResponse registerUser(String externalUserId) {
        return request().body(Map.of("externalUserId", externalUserId, "email", externalUserId + "@example.com"))
                .post("/api/v1/users").then();
    }

    public ValidatableResponse activity(String externalUserId, String event) {
        return request().body(Map.of("externalUserId", externalUserId, "event", event))
                .post("/api/v1/events/activity").then();
    }
}
