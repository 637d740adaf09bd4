package net.driploop.flow.engine;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.model.Ids;
import net.driploop.model.event.UserSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

/** GET /admin/v1/apps/{appId}/executions?externalUserId=…: a user's executions with their steps, newest first. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
class EngineExecutionsApiTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String TOKEN = "Bearer test-admin-token";

    @Inject
    Pool pool;

    private EngineFixture fixture;
    private final String app = EngineFixture.newApp();

    @BeforeEach
    void setUp() {
        fixture = new EngineFixture(pool);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void listsTheUsersExecutionsNewestFirstWithTheirSteps() {
        String flowId = fixture.createFlow(app, """
                {'name': 'Welcome', 'trigger': {'type': 'user.active'}, 'reentry': 'always',
                 'steps': [{'id': 'check', 'type': 'branch', 'when': {'field': 'event.name', 'op': 'eq', 'value': 'first'},
                            'then': 'mail', 'else': 'pause'},
                           {'id': 'pause', 'type': 'wait', 'duration': 'PT1H'},
                           {'id': 'mail', 'type': 'email', 'subject': 'Hi', 'text': 'Hi'}]}""");
        UserSnapshot sam = EngineFixture.user("sam", "sam@example.com", Map.of());
        String firstCall = Ids.newCorrelationId();
        String first = fixture.activity(firstCall, app, sam, "first", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.processed(first));
        String second = fixture.activity(Ids.newCorrelationId(), app, sam, "second", Map.of());
        await().atMost(DEADLINE).until(() -> fixture.processed(second));

        ValidatableResponse response = given().header("Authorization", TOKEN).queryParam("externalUserId", "sam")
                .get("/admin/v1/apps/{appId}/executions", app)
                .then().statusCode(200)
                .body("correlationId", startsWith("cor_"))
                .body("data", hasSize(2));
        response.body("data[0].status", equalTo("waiting"))
                .body("data[0].currentStep", equalTo("pause"))
                .body("data[0].flowId", equalTo(flowId))
                .body("data[0].steps.stepId", contains("check", "pause"))
                .body("data[0].steps.status", contains("completed", "waiting"))
                .body("data[0].steps[1].detail.kind", equalTo("wait"));
        response.body("data[1].status", equalTo("completed"))
                .body("data[1].correlationId", equalTo(firstCall))
                .body("data[1].id", startsWith("exe_"))
                .body("data[1].steps.stepId", contains("check", "mail"))
                .body("data[1].steps[0].detail.result", equalTo("then"))
                .body("data[1].steps[1].detail.commandId", equalTo(
                        response.extract().path("data[1].id") + ":mail"));
    }

    @Test
    void answersAnEmptyListForAUserWithoutExecutions() {
        given().header("Authorization", TOKEN).queryParam("externalUserId", "nobody")
                .get("/admin/v1/apps/{appId}/executions", app)
                .then().statusCode(200).body("data", hasSize(0));
    }

    @Test
    void refusesCallsWithoutTheAdminTokenOrWithoutExternalUserId() {
        given().queryParam("externalUserId", "sam").get("/admin/v1/apps/{appId}/executions", app)
                .then().statusCode(401).body("error.code", equalTo("unauthorized"));
        given().header("Authorization", TOKEN).get("/admin/v1/apps/{appId}/executions", app)
                .then().statusCode(422).body("error.code", equalTo("validation_error"))
                .body("error.details.externalUserId", equalTo("is required"));
    }
}
