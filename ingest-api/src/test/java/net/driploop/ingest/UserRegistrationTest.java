package net.driploop.ingest;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.infra.InfraTestResource;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;

@QuarkusTest
@WithTestResource(InfraTestResource.class)
class UserRegistrationTest {

    @Test
    void registersNewUserWith201ThenUpdatesWith200() {
        TestApi api = TestApi.newApp();
        api.request().body(Map.of("externalUserId", "user_42", "email", "ada@example.com",
                        "metadata", Map.of("plan", "free", "email_verified", false, "name", "Ada")))
                .post("/api/v1/users")
                .then().statusCode(201)
                .body("data.id", startsWith("usr_"))
                .body("data.externalUserId", equalTo("user_42"))
                .body("data.email", equalTo("ada@example.com"))
                .body("data.status", equalTo("active"))
                .body("data.created", equalTo(true))
                .body("correlationId", matchesPattern("cor_[0-9A-Z]{26}"));

        api.request().body(Map.of("externalUserId", "user_42", "metadata", Map.of("plan", "pro")))
                .post("/api/v1/users")
                .then().statusCode(200)
                .body("data.created", equalTo(false))
                .body("data.email", equalTo("ada@example.com"));
    }
}
