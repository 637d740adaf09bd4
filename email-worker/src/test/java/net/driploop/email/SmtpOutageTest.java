package net.driploop.email;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.email.Fixtures.User;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.SmtpTestResource;
import net.driploop.infra.TestSmtp;
import net.driploop.infra.TopicReader;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.command.SendEmail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static net.driploop.email.Fixtures.DEADLINE;
import static net.driploop.email.Fixtures.mailTo;
import static net.driploop.email.Fixtures.publish;
import static net.driploop.email.Fixtures.resultsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/** What happens while the SMTP server is down: retries, the circuit breaker, readiness, deletions meanwhile. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
@WithTestResource(SmtpTestResource.class)
class SmtpOutageTest {

    @AfterEach
    void smtpBack() {
        TestSmtp.start();
    }

    @Test
    void deliversOnceWhenTheSmtpServerComesBackAndIsNotReadyWhileItIsDown() {
        User user = User.fresh();
        SendEmail command = Fixtures.command(user);
        try (TopicReader results = Fixtures.results()) {
            TestSmtp.stop();
            given().get("/q/health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'smtp' }.status", equalTo("DOWN"));

            publish(command);
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                    .extracting(DeliveryResult::status).contains(DeliveryResult.RETRYING));

            TestSmtp.start();
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                    .extracting(DeliveryResult::status).endsWith(DeliveryResult.SENT));
            assertThat(resultsFor(results, command.id())).extracting(DeliveryResult::status)
                    .containsOnlyOnce(DeliveryResult.SENT).doesNotContain(DeliveryResult.FAILED);
            assertThat(mailTo(user.email())).hasSize(1);
            given().get("/q/health/ready").then().statusCode(200)
                    .body("checks.name", hasItem("smtp")).body("status", equalTo("UP"));
        }
    }

    @Test
    void stopsConnectingToADeadSmtpServerAndDeliversEverythingOnceItIsBack() {
        List<User> users = IntStream.range(0, 6).mapToObj(i -> User.fresh()).toList();
        List<SendEmail> commands = users.stream().map(Fixtures::command).toList();
        try (TopicReader results = Fixtures.results()) {
            TestSmtp.stop();

            commands.forEach(Fixtures::publish);
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(commands)
                    .allSatisfy(c -> assertThat(resultsFor(results, c.id())).isNotEmpty()));
            // after enough refused connections the breaker opens: later attempts are not even made
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(commands.stream()
                    .flatMap(c -> resultsFor(results, c.id()).stream())
                    .map(r -> String.valueOf(r.detail().get("error"))))
                    .anySatisfy(error -> assertThat(error).contains("circuit breaker is open")));

            TestSmtp.start();
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(commands).allSatisfy(c ->
                    assertThat(resultsFor(results, c.id())).extracting(DeliveryResult::status)
                            .endsWith(DeliveryResult.SENT).containsOnlyOnce(DeliveryResult.SENT)));
            assertThat(users).allSatisfy(u -> assertThat(mailTo(u.email())).hasSize(1));
        }
    }

    @Test
    void dropsAPendingRetryOfAUserDeletedMeanwhile() {
        User user = User.fresh();
        SendEmail command = Fixtures.command(user);
        try (TopicReader results = Fixtures.results()) {
            TestSmtp.stop();
            publish(command);
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                    .extracting(DeliveryResult::status).contains(DeliveryResult.RETRYING));

            Fixtures.publishDeleted(user);
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                    .last().satisfies(r -> {
                        assertThat(r.status()).isEqualTo(DeliveryResult.SKIPPED);
                        assertThat(r.detail()).containsEntry("reason", "user_deleted");
                    }));
            TestSmtp.start();
        }
        assertThat(mailTo(user.email())).isEmpty();
    }
}
