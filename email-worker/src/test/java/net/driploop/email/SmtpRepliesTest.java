package net.driploop.email;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import net.driploop.email.Fixtures.User;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.DeadLetterHeaders;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.command.SendEmail;
import net.driploop.model.log.AutomationLogEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static net.driploop.email.Fixtures.DEADLINE;
import static net.driploop.email.Fixtures.logsFor;
import static net.driploop.email.Fixtures.publish;
import static net.driploop.email.Fixtures.resultsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** How SMTP replies are handled: 451 retried on schedule, 550 final, exhausted retries dead-lettered. */
@QuarkusTest
@TestProfile(FakeSmtpProfile.class)
@WithTestResource(InfraTestResource.class)
class SmtpRepliesTest {

    TopicReader results;
    TopicReader logs;

    @BeforeEach
    void readers() {
        results = Fixtures.results();
        logs = Fixtures.logs();
    }

    @AfterEach
    void close() {
        results.close();
        logs.close();
    }

    @Test
    void retriesATemporaryRefusalOnScheduleAndDeliversOnceWhenAccepted() {
        SendEmail command = Fixtures.command(user("defer2"));

        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                .extracting(DeliveryResult::status)
                .containsExactly(DeliveryResult.RETRYING, DeliveryResult.RETRYING, DeliveryResult.SENT));
        DeliveryResult retrying = resultsFor(results, command.id()).get(0);
        assertThat(retrying.detail()).containsEntry("smtpCode", 451).containsEntry("attempt", 1)
                .containsKey("nextAttemptAt");
        assertThat((String) retrying.detail().get("error")).contains("try again later");
        assertThat(resultsFor(results, command.id()).get(2).detail()).containsEntry("attempt", 3);
        assertThat(FakeSmtpProfile.server.accepted(command.to())).isEqualTo(1);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logsFor(logs, command.correlationId()))
                .extracting(AutomationLogEntry::type).containsExactly("email.retrying", "email.retrying", "email.sent"));
    }

    @Test
    void failsAtOnceOnAPermanentRefusal() {
        SendEmail command = Fixtures.command(user("reject"));

        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logsFor(logs, command.correlationId()))
                .extracting(AutomationLogEntry::type).containsExactly("email.failed"));
        assertThat(resultsFor(results, command.id())).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(DeliveryResult.FAILED);
            assertThat(r.detail()).containsEntry("reason", "smtp_permanent").containsEntry("attempt", 1);
            assertThat((String) r.detail().get("error")).contains("mailbox unavailable");
        });
        assertThat(FakeSmtpProfile.server.accepted(command.to())).isZero();
    }

    @Test
    void deadLettersACommandWhoseRetriesRunOutWithTheReasonInItsHeaders() {
        SendEmail command = Fixtures.command(user("deferalways"));

        try (TopicReader dlq = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.dlq(Topics.EMAIL_COMMANDS))) {
            publish(command);

            await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                    .extracting(DeliveryResult::status).containsExactly(DeliveryResult.RETRYING, DeliveryResult.RETRYING,
                            DeliveryResult.RETRYING, DeliveryResult.FAILED));
            assertThat(resultsFor(results, command.id()).get(3).detail())
                    .containsEntry("reason", "retries_exhausted").containsEntry("attempt", 4);
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(dlq.poll(m -> m.value().contains(command.id())))
                    .singleElement().satisfies(m -> {
                        assertThat(m.header(DeadLetterHeaders.REASON)).isEqualTo("retries_exhausted");
                        assertThat(m.header(DeadLetterHeaders.CAUSE)).contains("451");
                        assertThat(m.header(DeadLetterHeaders.ATTEMPTS)).isEqualTo("4");
                        assertThat(m.header(DeadLetterHeaders.TOPIC)).isEqualTo(Topics.EMAIL_COMMANDS);
                        assertThat(m.header(CloudEventHeaders.TYPE)).isEqualTo(CommandTypes.SEND_EMAIL);
                        assertThat(m.header(CloudEventHeaders.SOURCE)).isEqualTo(CloudEventHeaders.source("email-worker"));
                        assertThat(m.header("ce_correlationid")).isEqualTo(command.correlationId());
                        assertThat(m.key()).isEqualTo(Topics.userKey(command.appId(), command.externalUserId()));
                        assertThat(Fixtures.read(m.value(), SendEmail.class)).isEqualTo(command);
                    }));
        }
        assertThat(FakeSmtpProfile.server.accepted(command.to())).isZero();
    }

    private static User user(String scriptedAs) {
        String unique = UUID.randomUUID().toString().substring(0, 8);
        return new User("app_" + unique, "user_" + unique, scriptedAs + "-" + unique + "@example.com");
    }
}
