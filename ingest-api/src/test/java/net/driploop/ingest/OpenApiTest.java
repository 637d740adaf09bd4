package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** Reads {@code /q/openapi} the way a client developer would: following every {@code $ref}. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class OpenApiTest {

    static final String NOT_REGISTERED = "User \"user_42\" is not registered. Register with POST /users first.";
    static final List<String> RATE_LIMIT_HEADERS = List.of("X-RateLimit-Limit", "X-RateLimit-Remaining",
            "X-RateLimit-Reset");

    /** The public API v1: method, path and success status. */
    static final List<List<String>> V1 = List.of(
            List.of("post", "/api/v1/users", "201"),
            List.of("delete", "/api/v1/users/{externalUserId}", "200"),
            List.of("post", "/api/v1/events/activity", "201"),
            List.of("patch", "/api/v1/users/{externalUserId}/metadata", "200"),
            List.of("post", "/api/v1/users/{externalUserId}/purchase", "201"));

    /** The admin API for apps and keys. */
    static final List<List<String>> ADMIN = List.of(
            List.of("post", "/admin/v1/apps", "201"),
            List.of("get", "/admin/v1/apps", "200"),
            List.of("get", "/admin/v1/apps/{appId}", "200"),
            List.of("patch", "/admin/v1/apps/{appId}", "200"),
            List.of("post", "/admin/v1/apps/{appId}/keys", "201"),
            List.of("get", "/admin/v1/apps/{appId}/keys", "200"),
            List.of("delete", "/admin/v1/apps/{appId}/keys/{keyId}", "200"));

    private Map<String, Object> doc;

    @BeforeEach
    void fetchDocument() {
        doc = given().accept(ContentType.JSON).get("/q/openapi?format=json")
                .then().statusCode(200).contentType(ContentType.JSON)
                .extract().jsonPath().getMap("$");
    }

    @Test
    void describesEveryV1AndAdminEndpointWithItsSecurity() {
        assertThat((String) doc.get("openapi")).startsWith("3.");
        assertThat(list(doc, "servers")).extracting(server -> map(server).get("url")).containsExactly("/");

        Map<String, Object> schemes = at(doc, "components", "securitySchemes");
        assertThat(at(schemes, "apiKeyBearer")).containsEntry("type", "http").containsEntry("scheme", "bearer");
        assertThat((String) at(schemes, "apiKeyBearer").get("bearerFormat")).startsWith("dl_live_");
        assertThat(at(schemes, "apiKeyHeader")).containsEntry("type", "apiKey").containsEntry("in", "header")
                .containsEntry("name", "x-api-key");
        assertThat(at(schemes, "adminToken")).containsEntry("type", "http").containsEntry("scheme", "bearer");

        for (List<String> endpoint : V1) {
            Map<String, Object> operation = operation(endpoint);
            assertThat(at(operation, "responses")).as("%s", endpoint).containsKey(endpoint.get(2));
            assertThat(securitySchemes(operation)).as("%s", endpoint)
                    .containsExactlyInAnyOrder("apiKeyBearer", "apiKeyHeader");
            assertThat(parameters(endpoint)).as("%s", endpoint).anySatisfy(parameter -> assertThat(parameter)
                    .containsEntry("name", "Idempotency-Key").containsEntry("in", "header"));
        }
        for (List<String> endpoint : ADMIN) {
            Map<String, Object> operation = operation(endpoint);
            assertThat(at(operation, "responses")).as("%s", endpoint).containsKeys(endpoint.get(2), "401");
            assertThat(securitySchemes(operation)).as("%s", endpoint).containsExactly("adminToken");
        }
        assertThat(at(operation(V1.get(0)), "responses")).as("re-registering answers 200").containsKey("200");
    }

    @Test
    void registrationBodyRequiresExternalUserIdWithItsLimits() {
        Map<String, Object> schema = at(operation(V1.get(0)), "requestBody", "content", "application/json", "schema");
        assertThat(list(schema, "required")).containsExactly("externalUserId");
        assertThat(at(schema, "properties", "externalUserId"))
                .containsEntry("type", "string").containsEntry("minLength", 1).containsEntry("maxLength", 255);
        assertThat(at(schema, "properties", "email")).containsEntry("format", "email");
        assertThat(at(schema, "properties", "metadata")).containsEntry("type", "object")
                .containsEntry("maxProperties", 100);
    }

    @Test
    void activityDescribesTheUnregisteredUser404AndThe422() {
        Map<String, Object> responses = at(operation(V1.get(2)), "responses");

        Map<String, Object> notFound = at(responses, "404", "content", "application/json");
        assertThat(list(at(notFound, "schema"), "required")).contains("error", "correlationId");
        assertThat(at(notFound, "examples").values()).anySatisfy(example -> {
            Map<String, Object> error = at(example, "value", "error");
            assertThat(error).containsEntry("code", "not_found").containsEntry("message", NOT_REGISTERED);
        });

        Map<String, Object> invalid = at(responses, "422");
        assertThat((String) invalid.get("description")).contains("validation_error");
        Map<String, Object> error = at(invalid, "content", "application/json", "schema", "properties", "error");
        assertThat(at(error, "properties")).containsKeys("code", "message", "details");
        assertThat(list(at(error, "properties", "code"), "enum")).contains("validation_error", "not_found",
                "unauthorized", "bad_request", "method_not_allowed", "idempotency_conflict", "payload_too_large",
                "unsupported_media_type", "rate_limited", "internal_error");
    }

    @Test
    void rateLimitHeadersAreDocumentedOnEveryAuthenticatedV1Response() {
        for (List<String> endpoint : V1) {
            Map<String, Object> responses = at(operation(endpoint), "responses");
            for (String status : responses.keySet()) {
                if (List.of("401", "413", "415").contains(status)) {
                    continue; // refused before the key is known: no window to report
                }
                Map<String, Object> headers = at(responses, status, "headers");
                assertThat(headers).as("%s %s", endpoint, status).containsKeys(RATE_LIMIT_HEADERS.toArray(String[]::new));
                for (String name : RATE_LIMIT_HEADERS) {
                    assertThat(at(headers, name, "schema")).containsEntry("type", "integer");
                }
            }
            assertThat(at(responses, "429", "headers")).as("%s", endpoint).containsKey("Retry-After");
            assertThat(at(responses, endpoint.get(2), "headers")).as("%s", endpoint).containsKey("Idempotent-Replayed");
        }
    }

    @Test
    void theLiveApiAnswersAsDocumented() {
        TestApi api = TestApi.newApp();
        Response response = api.request().body(Map.of("externalUserId", "user_42", "event", "login"))
                .post("/api/v1/events/activity");
        response.then().statusCode(404);
        assertThat(response.jsonPath().getString("error.message")).isEqualTo(NOT_REGISTERED);
        for (String name : RATE_LIMIT_HEADERS) {
            assertThat(response.header(name)).as(name).isNotBlank();
        }
    }

    private Map<String, Object> operation(List<String> endpoint) {
        Map<String, Object> path = at(doc, "paths", endpoint.get(1));
        assertThat(path).as("path %s", endpoint.get(1)).isNotNull();
        assertThat(path).as("%s %s", endpoint.get(0), endpoint.get(1)).containsKey(endpoint.get(0));
        return at(path, endpoint.get(0));
    }

    /** Path-level and operation-level parameters, resolved. */
    private List<Map<String, Object>> parameters(List<String> endpoint) {
        Map<String, Object> path = at(doc, "paths", endpoint.get(1));
        List<Map<String, Object>> all = new ArrayList<>();
        for (Object owner : List.of(path, at(path, endpoint.get(0)))) {
            Object parameters = map(owner).get("parameters");
            if (parameters != null) {
                ((List<?>) parameters).forEach(parameter -> all.add(resolve(parameter)));
            }
        }
        return all;
    }

    /** The security schemes that apply to an operation (its own, or the document's default). */
    private List<String> securitySchemes(Map<String, Object> operation) {
        Object security = operation.containsKey("security") ? operation.get("security") : doc.get("security");
        assertThat(security).isNotNull();
        return ((List<?>) security).stream().flatMap(requirement -> map(requirement).keySet().stream()).toList();
    }

    /** Walks down from {@code node}, following {@code $ref}s at every step. */
    private Map<String, Object> at(Object node, String... keys) {
        Map<String, Object> current = resolve(node);
        for (String key : keys) {
            assertThat(current).as("looking for %s", key).containsKey(key);
            current = resolve(current.get(key));
        }
        return current;
    }

    private Map<String, Object> resolve(Object node) {
        Map<String, Object> current = map(node);
        while (current.get("$ref") instanceof String ref) {
            assertThat(ref).startsWith("#/");
            Object target = doc;
            for (String part : ref.substring(2).split("/")) {
                target = map(target).get(part.replace("~1", "/").replace("~0", "~"));
                assertThat(target).as("target of %s", ref).isNotNull();
            }
            current = map(target);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object node, String key) {
        Object value = resolve(node).get(key);
        assertThat(value).as(key).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object node) {
        assertThat(node).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }
}
