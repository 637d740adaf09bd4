package net.driploop.flow;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.model.Ids;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;

/** The flows admin API: create, list, read, new versions, activation, and refused definitions. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class FlowAdminTest {

    private static final String ADMIN_TOKEN = "test-admin-token";
    private static final String FLOW_ID = "flw_[0-9A-HJKMNP-TV-Z]{26}";
    private static final String TIMESTAMP = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

    private static final String WAIT = "{\"id\": \"w\", \"type\": \"wait\", \"duration\": \"PT1M\"}";

    /** The example of DESIGN.md, "Flow definition". */
    private static final String DESIGN_EXAMPLE = """
            {
              "name": "Renewal reminder",
              "trigger": {"type": "purchase.recorded"},
              "reentry": "if_not_active",
              "exitWhen": {"field": "user.metadata.subscribed", "op": "eq", "value": false},
              "steps": [
                {"id": "wait", "type": "wait_until", "at": "purchase.purchaseEndDate", "offset": "-P7D"},
                {"id": "check", "type": "branch", "when": {"field": "user.metadata.plan", "op": "eq", "value": "pro"},
                 "then": "mail", "else": "end"},
                {"id": "mail", "type": "email", "subject": "Your {user.metadata.plan} plan renews soon",
                 "text": "Hi {user.metadata.name}, …", "html": "<p>Hi {user.metadata.name}</p>", "maxCount": 1},
                {"id": "notify", "type": "webhook", "url": "https://example.com/hooks/renewal"}
              ]
            }""";

    @Inject
    Pool pool;

    @Test
    void createsADraftAtVersionOneAndReadsItBack() {
        String appId = newAppId();
        String flowId = admin().body(abandonedCart("Abandoned cart")).post(flowsOf(appId)).then()
                .statusCode(201)
                .body("data.id", matchesPattern(FLOW_ID))
                .body("data.appId", equalTo(appId))
                .body("data.name", equalTo("Abandoned cart"))
                .body("data.status", equalTo("draft"))
                .body("data.version", equalTo(1))
                .body("data.trigger.type", equalTo("activity.event"))
                .body("data.trigger.event", equalTo("cart_updated"))
                .body("data.definition.steps[0].id", equalTo("await"))
                .body("data.definition.steps[0].timeout", equalTo("PT24H"))
                .body("data.createdAt", matchesPattern(TIMESTAMP))
                .body("data.updatedAt", matchesPattern(TIMESTAMP))
                .body("correlationId", matchesPattern("cor_[0-9A-Z]{26}"))
                .extract().path("data.id");

        admin().get(flowsOf(appId) + "/" + flowId).then().statusCode(200)
                .body("data.id", equalTo(flowId))
                .body("data.appId", equalTo(appId))
                .body("data.status", equalTo("draft"))
                .body("data.version", equalTo(1))
                .body("data.trigger.event", equalTo("cart_updated"))
                .body("data.definition.name", equalTo("Abandoned cart"))
                .body("data.definition.steps", hasSize(2))
                .body("data.definition.steps[1].subject", equalTo("Still thinking, {user.metadata.name}?"));
    }

    @Test
    void acceptsTheDesignExampleDefinitionAndStoresItAsSent() {
        String appId = newAppId();
        String flowId = admin().body(DESIGN_EXAMPLE).post(flowsOf(appId)).then().statusCode(201)
                .body("data.name", equalTo("Renewal reminder"))
                .body("data.trigger.type", equalTo("purchase.recorded"))
                .body("data.trigger", not(hasKey("event")))
                .extract().path("data.id");

        admin().get(flowsOf(appId) + "/" + flowId).then().statusCode(200)
                .body("data.definition.reentry", equalTo("if_not_active"))
                .body("data.definition.exitWhen.value", equalTo(false))
                .body("data.definition.steps.id", contains("wait", "check", "mail", "notify"))
                .body("data.definition.steps[0].offset", equalTo("-P7D"))
                .body("data.definition.steps[2].text", equalTo("Hi {user.metadata.name}, …"))
                .body("data.definition.steps[2].maxCount", equalTo(1));
    }

    @Test
    void listsAnAppsFlowsInCreationOrderWithoutDefinitions() {
        String appId = newAppId();
        String first = create(appId, abandonedCart("First"));
        String second = create(appId, abandonedCart("Second"));
        create(newAppId(), abandonedCart("Another app's"));

        admin().get(flowsOf(appId)).then().statusCode(200)
                .body("data", hasSize(2))
                .body("data.id", contains(first, second))
                .body("data.name", contains("First", "Second"))
                .body("data.status", contains("draft", "draft"))
                .body("data[0]", not(hasKey("definition")));
        admin().get(flowsOf(newAppId())).then().statusCode(200).body("data", hasSize(0));
    }

    @Test
    void putStoresTheNextVersionKeepsTheStatusAndLeavesTheOldVersionUntouched() {
        String appId = newAppId();
        String flowId = create(appId, abandonedCart("Cart v1"));
        admin().post(flowsOf(appId) + "/" + flowId + "/activate").then().statusCode(200);

        admin().body(welcome("Welcome v2")).put(flowsOf(appId) + "/" + flowId).then().statusCode(200)
                .body("data.id", equalTo(flowId))
                .body("data.version", equalTo(2))
                .body("data.status", equalTo("active"))
                .body("data.name", equalTo("Welcome v2"))
                .body("data.trigger.type", equalTo("user.registered"))
                .body("data.trigger", not(hasKey("event")))
                .body("data.definition.name", equalTo("Welcome v2"));

        admin().get(flowsOf(appId) + "/" + flowId).then().statusCode(200)
                .body("data.version", equalTo(2))
                .body("data.definition.steps[0].id", equalTo("hello"));
        assertThat(storedVersions(flowId)).containsExactly("1:Cart v1", "2:Welcome v2");
    }

    @Test
    void refusedPutLeavesTheFlowAtItsVersion() {
        String appId = newAppId();
        String flowId = create(appId, abandonedCart("Cart"));
        admin().body(withSteps("[{\"id\": \"w\", \"type\": \"wait\", \"duration\": \"soon\"}]"))
                .put(flowsOf(appId) + "/" + flowId).then().statusCode(422)
                .body("error.details", hasKey("steps[0].duration"));
        admin().body("{\"name\": ").put(flowsOf(appId) + "/" + flowId).then().statusCode(400);

        admin().get(flowsOf(appId) + "/" + flowId).then().statusCode(200).body("data.version", equalTo(1));
        assertThat(storedVersions(flowId)).containsExactly("1:Cart");
    }

    @Test
    void activatesAndDeactivatesAFlow() {
        String appId = newAppId();
        String flowId = create(appId, abandonedCart("Cart"));
        String flow = flowsOf(appId) + "/" + flowId;

        admin().post(flow + "/activate").then().statusCode(200)
                .body("data.id", equalTo(flowId)).body("data.status", equalTo("active"))
                .body("data.version", equalTo(1)).body("data.definition.name", equalTo("Cart"));
        admin().get(flow).then().body("data.status", equalTo("active"));
        admin().post(flow + "/deactivate").then().statusCode(200).body("data.status", equalTo("inactive"));
        admin().get(flow).then().body("data.status", equalTo("inactive"));
        admin().post(flow + "/activate").then().statusCode(200).body("data.status", equalTo("active"));
        admin().get(flowsOf(appId)).then().body("data.status", contains("active"));
    }

    @Test
    void refusesEveryCallWithoutTheAdminToken() {
        String appId = newAppId();
        String flow = flowsOf(appId) + "/" + create(appId, abandonedCart("Cart"));

        expectUnauthorized(given().contentType(ContentType.JSON).body(welcome("W")).post(flowsOf(appId)).then());
        expectUnauthorized(given().get(flowsOf(appId)).then());
        expectUnauthorized(given().header("Authorization", "Bearer not-the-token").get(flow).then());
        expectUnauthorized(given().contentType(ContentType.JSON).body(welcome("W")).put(flow).then());
        expectUnauthorized(given().post(flow + "/activate").then());
        expectUnauthorized(given().header("Authorization", ADMIN_TOKEN).post(flow + "/deactivate").then());
        admin().get(flow).then().body("data.status", equalTo("draft")).body("data.version", equalTo(1));
    }

    @Test
    void answers404ForAnUnknownFlow() {
        String appId = newAppId();
        String unknown = flowsOf(appId) + "/" + Ids.newId(Ids.FLOW);
        expectNotFound(admin().get(unknown).then());
        expectNotFound(admin().body(welcome("W")).put(unknown).then());
        expectNotFound(admin().post(unknown + "/activate").then());
        expectNotFound(admin().post(unknown + "/deactivate").then());
        expectNotFound(admin().get(flowsOf("not-an-app") + "/" + Ids.newId(Ids.FLOW)).then());
    }

    @Test
    void answers404ForAnotherAppsFlowAndLeavesItAlone() {
        String owner = newAppId();
        String flowId = create(owner, abandonedCart("Cart"));
        String other = flowsOf(newAppId()) + "/" + flowId;

        expectNotFound(admin().get(other).then());
        expectNotFound(admin().body(welcome("Hijacked")).put(other).then());
        expectNotFound(admin().post(other + "/activate").then());
        expectNotFound(admin().post(other + "/deactivate").then());
        admin().get(flowsOf(owner) + "/" + flowId).then().statusCode(200)
                .body("data.status", equalTo("draft")).body("data.version", equalTo(1))
                .body("data.name", equalTo("Cart"));
    }

    @Test
    void refusesAnUnknownTriggerType() {
        expectRefused("{\"name\": \"n\", \"trigger\": {\"type\": \"user.signed_up\"}, \"steps\": [" + WAIT + "]}",
                "trigger.type");
    }

    @Test
    void refusesAnActivityEventTriggerWithoutItsEvent() {
        expectRefused("{\"name\": \"n\", \"trigger\": {\"type\": \"activity.event\"}, \"steps\": [" + WAIT + "]}",
                "trigger.event");
    }

    @Test
    void refusesABadIsoDuration() {
        expectRefused(withSteps("[{\"id\": \"w\", \"type\": \"wait\", \"duration\": \"10 minutes\"}]"),
                "steps[0].duration");
    }

    @Test
    void refusesABackwardJump() {
        expectRefused(withSteps("""
                [{"id": "a", "type": "wait", "duration": "PT1M"},
                 {"id": "b", "type": "branch", "when": {"field": "user.email", "op": "exists"},
                  "then": "a", "else": "end"}]"""), "steps[1].then");
    }

    @Test
    void refusesAJumpToAnUnknownStep() {
        expectRefused(withSteps("[{\"id\": \"w\", \"type\": \"wait\", \"duration\": \"PT1M\", \"next\": \"nowhere\"}]"),
                "steps[0].next");
    }

    @Test
    void refusesDuplicateStepIds() {
        expectRefused(withSteps("[" + WAIT + ", " + WAIT + "]"), "steps[1].id");
    }

    @Test
    void refusesAnUnknownOperator() {
        expectRefused(withSteps("""
                [{"id": "b", "type": "branch", "when": {"field": "user.metadata.plan", "op": "like", "value": "p"},
                  "then": "end", "else": "end"}]"""), "steps[0].when.op");
    }

    @Test
    void refusesATemplateThatDoesNotParse() {
        expectRefused(withSteps("[{\"id\": \"m\", \"type\": \"email\", \"subject\": \"Hi {#if user.x}\", "
                + "\"text\": \"t\"}]"), "steps[0].subject");
    }

    @Test
    void reportsEveryProblemOfADefinitionAtOnce() {
        admin().body("{\"name\": \"n\", \"trigger\": {\"type\": \"nope\"}, \"steps\": ["
                        + "{\"id\": \"w\", \"type\": \"wait\", \"duration\": \"x\"}, " + WAIT + "]}")
                .post(flowsOf(newAppId())).then().statusCode(422)
                .body("error.code", equalTo("validation_error"))
                .body("error.details", hasKey("trigger.type"))
                .body("error.details", hasKey("steps[0].duration"))
                .body("error.details", hasKey("steps[1].id"));
    }

    @Test
    void answers400ForMalformedJson() {
        String appId = newAppId();
        for (String body : List.of("{\"name\": ", "not json", "[" + WAIT + "]", "")) {
            admin().body(body).post(flowsOf(appId)).then().statusCode(400)
                    .body("error.code", equalTo("bad_request"));
        }
        admin().get(flowsOf(appId)).then().body("data", hasSize(0));
    }

    private static String withSteps(String steps) {
        return "{\"name\": \"n\", \"trigger\": {\"type\": \"user.registered\"}, \"steps\": " + steps + "}";
    }

    private static String abandonedCart(String name) {
        return """
                {"name": "%s", "trigger": {"type": "activity.event", "event": "cart_updated"}, "reentry": "always",
                 "steps": [
                   {"id": "await", "type": "wait_for", "event": "checkout_completed", "timeout": "PT24H",
                    "then": "end", "else": "remind"},
                   {"id": "remind", "type": "email", "subject": "Still thinking, {user.metadata.name}?",
                    "text": "Your cart is waiting."}
                 ]}""".formatted(name);
    }

    private static String welcome(String name) {
        return """
                {"name": "%s", "trigger": {"type": "user.registered"},
                 "steps": [{"id": "hello", "type": "email", "subject": "Welcome", "text": "Hi"}]}""".formatted(name);
    }

    private static RequestSpecification admin() {
        return given().contentType(ContentType.JSON).header("Authorization", "Bearer " + ADMIN_TOKEN);
    }

    private static String newAppId() {
        return Ids.newId(Ids.APP);
    }

    private static String flowsOf(String appId) {
        return "/admin/v1/apps/" + appId + "/flows";
    }

    private static String create(String appId, String definition) {
        return admin().body(definition).post(flowsOf(appId)).then().statusCode(201).extract().path("data.id");
    }

    private static void expectRefused(String definition, String pointer) {
        admin().body(definition).post(flowsOf(newAppId())).then().statusCode(422)
                .body("error.code", equalTo("validation_error"))
                .body("error.message", equalTo("Flow definition is invalid"))
                .body("error.details", hasKey(pointer));
    }

    private static void expectUnauthorized(ValidatableResponse response) {
        response.statusCode(401).body("error.code", equalTo("unauthorized"));
    }

    private static void expectNotFound(ValidatableResponse response) {
        response.statusCode(404).body("error.code", equalTo("not_found"));
    }

    /** "version:name" of every stored version of the flow, read from the database. */
    private List<String> storedVersions(String flowId) {
        List<String> versions = new ArrayList<>();
        pool.preparedQuery("SELECT version, definition->>'name' AS name FROM flow.flow_versions "
                        + "WHERE flow_id = $1 ORDER BY version")
                .execute(Tuple.of(flowId)).await().indefinitely()
                .forEach(row -> versions.add(row.getInteger("version") + ":" + row.getString("name")));
        return versions;
    }
}
