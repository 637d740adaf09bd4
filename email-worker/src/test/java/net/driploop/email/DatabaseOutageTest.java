package net.driploop.email;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.email.Fixtures.User;
import net.driploop.infra.DatabaseOutage;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.SmtpTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Topics;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.command.SendEmail;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static net.driploop.email.Fixtures.DEADLINE;
import static net.driploop.email.Fixtures.mailTo;
import static net.driploop.email.Fixtures.publish;
import static net.driploop.email.Fixtures.resultsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL down while commands arrive: the worker is not ready, nothing is sent before its claim is committed,
 * nothing is dead-lettered however long the outage lasts, and once the database is back each command is sent once
 * and recorded, and the worker is ready again.
 */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
@WithTestResource(SmtpTestResource.class)
class DatabaseOutageTest {

    /** Longer than any retry of a failure other than an unreachable database. */
    private static final Duration OUTAGE = Duration.ofSeconds(12);

    @Test
    void commandsArrivingWhilePostgresqlIsDownAreSentOnceItIsBackAndNeverDeadLettered() throws Exception {
        List<User> users = List.of(User.fresh(), User.fresh());
        List<SendEmail> commands = users.stream().map(Fixtures::command).toList();
        try (TopicReader results = Fixtures.results();
                TopicReader dlq = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.dlq(Topics.EMAIL_COMMANDS))) {
            try (DatabaseOutage outage = DatabaseOutage.begin()) {
                commands.forEach(Fixtures::publish);
                // for the whole outage: no email (a send is only made once its claim is committed), no dead letter
                await().during(OUTAGE).atMost(OUTAGE.plusSeconds(5)).until(() ->
                        users.stream().allMatch(u -> mailTo(u.email()).isEmpty())
                                && commands.stream().noneMatch(c -> !dlq.poll(m -> m.value().contains(c.id())).isEmpty()));
                given().get("/q/health/ready").then().statusCode(503);
            }

            await().atMost(DEADLINE).untilAsserted(() -> assertThat(commands).allSatisfy(c ->
                    assertThat(resultsFor(results, c.id())).extracting(DeliveryResult::status)
                            .containsExactly(DeliveryResult.SENT)));
            assertThat(users).allSatisfy(u -> assertThat(mailTo(u.email())).hasSize(1));
            assertThat(commands).allSatisfy(c -> assertThat(dlq.poll(m -> m.value().contains(c.id()))).isEmpty());
            await().atMost(DEADLINE).untilAsserted(() -> given().get("/q/health/ready").then().statusCode(200));
        }
    }
}
