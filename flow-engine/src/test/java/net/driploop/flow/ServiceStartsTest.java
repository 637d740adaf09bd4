package net.driploop.flow;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
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
}
