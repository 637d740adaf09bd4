package net.driploop.email;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.SmtpTestResource;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.startsWith;

/** The service starts ready on PostgreSQL, Kafka and SMTP, with its metrics and the envelope. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
@WithTestResource(SmtpTestResource.class)
class ServiceStartsTest {

    @Test
    void isReadyOnPostgresKafkaAndSmtp() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems("smtp", "kafka"))
                .body("checks.find { it.name.contains('PostgreSQL') }.status", equalTo("UP"));
    }

    @Test
    void exposesDeliveryMetrics() {
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("driploop_email_sent_total"))
                .body(containsString("driploop_email_failed_total"))
                .body(containsString("driploop_email_retries_scheduled_total"))
                .body(containsString("driploop_email_retry_backlog"));
    }

    @Test
    void answersUnknownRoutesWithTheEnvelope() {
        given().get("/admin/v1/nothing").then().statusCode(404)
                .body("error.code", equalTo("not_found"))
                .body("correlationId", startsWith("cor_"));
    }
}
