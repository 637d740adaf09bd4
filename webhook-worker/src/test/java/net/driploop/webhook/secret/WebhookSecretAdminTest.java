package net.driploop.webhook.secret;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import net.driploop.infra.InfraTestResource;
import net.driploop.model.Ids;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class WebhookSecretAdminTest {

    static final String ADMIN = "Bearer test-admin-token";

    @Inject
    SigningSecrets secrets;

    @Test
    void createsTheSecretOnFirstReadAndReturnsTheSameOneAfterwards() {
        String app = Ids.newId(Ids.APP);
        String first = read(app);
        assertThat(first).startsWith("whsec_");
        assertThat(Base64.getDecoder().decode(first.substring(6))).hasSizeGreaterThanOrEqualTo(24);
        assertThat(read(app)).isEqualTo(first);
        assertThat(read(Ids.newId(Ids.APP))).isNotEqualTo(first);
    }

    @Test
    void rotationReturnsANewSecretThatReadsReturnFromThenOn() {
        String app = Ids.newId(Ids.APP);
        String old = read(app);
        String fresh = given().header("Authorization", ADMIN).post("/admin/v1/apps/" + app + "/webhook-secret/rotate")
                .then().statusCode(200).body("correlationId", startsWith("cor_")).extract().path("data.secret");
        assertThat(fresh).startsWith("whsec_").isNotEqualTo(old);
        assertThat(read(app)).isEqualTo(fresh);
    }

    @Test
    void afterARotationBothTheNewAndTheOldSecretSignNewestFirst() {
        String app = Ids.newId(Ids.APP);
        String old = read(app);
        assertThat(secrets.signing(app).await().atMost(Duration.ofSeconds(10))).containsExactly(old);
        String fresh = given().header("Authorization", ADMIN).post("/admin/v1/apps/" + app + "/webhook-secret/rotate")
                .then().statusCode(200).extract().path("data.secret");
        assertThat(secrets.signing(app).await().atMost(Duration.ofSeconds(10))).containsExactly(fresh, old);
    }

    @Test
    void answers401WithoutTheAdminTokenAnd404ForAMalformedAppId() {
        String app = Ids.newId(Ids.APP);
        given().get("/admin/v1/apps/" + app + "/webhook-secret").then().statusCode(401)
                .body("error.code", equalTo("unauthorized"));
        given().header("Authorization", "Bearer wrong").post("/admin/v1/apps/" + app + "/webhook-secret/rotate")
                .then().statusCode(401).body("error.code", equalTo("unauthorized"));
        given().header("Authorization", ADMIN).get("/admin/v1/apps/nope/webhook-secret").then().statusCode(404)
                .body("error.code", equalTo("not_found"));
    }

    static String read(String app) {
        return given().header("Authorization", ADMIN).get("/admin/v1/apps/" + app + "/webhook-secret")
                .then().statusCode(200).extract().path("data.secret");
    }
}
