package net.driploop.webhook;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class ServiceStartsTest {

    @Test
    void isReadyOnPostgresAndKafkaAndAnswersUnknownRoutesWithTheEnvelope() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/admin/v1/nothing").then().statusCode(404)
                .body("error.code", equalTo("not_found"))
                .body("correlationId", startsWith("cor_"));
    }

    @Test
    void exposesDeliveryMetrics() {
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("driploop_webhook_delivered_total"))
                .body(containsString("driploop_webhook_failed_total"))
                .body(containsString("driploop_webhook_retry_backlog"))
                .body(containsString("driploop_webhook_in_flight"));
    }
}
