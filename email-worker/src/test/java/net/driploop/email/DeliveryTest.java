package net.driploop.email;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import jakarta.mail.internet.MimeMessage;
import net.driploop.email.Fixtures.User;
import net.driploop.email.delivery.DeliveryService;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.SmtpTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Topics;
import net.driploop.model.Ids;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.command.SendEmail;
import net.driploop.model.log.AutomationLogEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static net.driploop.email.Fixtures.DEADLINE;
import static net.driploop.email.Fixtures.command;
import static net.driploop.email.Fixtures.logsFor;
import static net.driploop.email.Fixtures.mailTo;
import static net.driploop.email.Fixtures.publish;
import static net.driploop.email.Fixtures.resultsFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Delivery over real Kafka, PostgreSQL and GreenMail: content, headers, duplicates, limits, deletions, crashes. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
@WithTestResource(SmtpTestResource.class)
class DeliveryTest {

    @Inject
    DeliveryService deliveries;

    @Inject
    Pool pool;

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
    void deliversTheRenderedEmailWithAStableMessageIdAndTheCorrelationIdAndReportsItSent() throws Exception {
        User user = User.fresh();
        SendEmail command = command(user);

        publish(command);

        await().atMost(DEADLINE).until(() -> mailTo(user.email()).size() == 1);
        MimeMessage mail = mailTo(user.email()).get(0);
        assertThat(mail.getSubject()).isEqualTo("Your pro plan renews soon");
        assertThat(mail.getMessageID()).isEqualTo("<" + command.id().replace(":", "%3A") + "@driploop.local>");
        assertThat(mail.getHeader("X-Driploop-Correlation-Id")).containsExactly(command.correlationId());
        assertThat(mail.getFrom()[0].toString()).contains("no-reply@driploop.local");
        String body = new String(mail.getInputStream().readAllBytes());
        assertThat(body).contains("Hi Ada, your plan renews.").contains("<p>Hi Ada</p>");

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                .extracting(DeliveryResult::status).containsExactly(DeliveryResult.SENT));
        DeliveryResult sent = resultsFor(results, command.id()).get(0);
        assertThat(sent.channel()).isEqualTo(DeliveryResult.EMAIL);
        assertThat(sent.executionId()).isEqualTo(command.executionId());
        assertThat(sent.detail()).containsEntry("messageId", mail.getMessageID());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logsFor(logs, command.correlationId()))
                .extracting(AutomationLogEntry::type).containsExactly("email.sent"));
        AutomationLogEntry entry = logsFor(logs, command.correlationId()).get(0);
        assertThat(entry.service()).isEqualTo("email-worker");
        assertThat(entry.detail()).containsKey("smtpReply");
    }

    @Test
    void sendsOneEmailWhenTheSameCommandArrivesTwice() {
        User user = User.fresh();
        SendEmail command = command(user);

        publish(command);
        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logsFor(logs, command.correlationId()))
                .extracting(AutomationLogEntry::type).containsExactlyInAnyOrder("email.sent", "email.skipped"));
        assertThat(logsFor(logs, command.correlationId())).filteredOn(e -> e.type().equals("email.skipped"))
                .singleElement().satisfies(e -> assertThat(e.detail()).containsEntry("reason", "duplicate"));
        assertThat(mailTo(user.email())).hasSize(1);
        assertThat(resultsFor(results, command.id())).extracting(DeliveryResult::status)
                .containsExactly(DeliveryResult.SENT);
    }

    @Test
    void sendsOneEmailWhenTwoReplicasDeliverTheSameCommandAtOnce() {
        User user = User.fresh();
        SendEmail command = command(user);

        // two deliveries racing on separate connections, as two replicas would after a rebalance
        Uni.join().all(deliveries.deliver(command, Ids.newId(Ids.EVENT)), deliveries.deliver(command, Ids.newId(Ids.EVENT)),
                        deliveries.deliver(command, Ids.newId(Ids.EVENT)))
                .andFailFast().await().atMost(DEADLINE);

        await().atMost(DEADLINE).until(() -> mailTo(user.email()).size() == 1);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logsFor(logs, command.correlationId()))
                .extracting(AutomationLogEntry::type)
                .containsExactlyInAnyOrder("email.sent", "email.skipped", "email.skipped"));
        assertThat(mailTo(user.email())).hasSize(1);
    }

    @Test
    void sendOnceSendsOneEmailPerUserAcrossExecutions() {
        User user = User.fresh();
        SendEmail first = command(user, "flw_once", Ids.newId(Ids.EXECUTION), "welcome", true, null);
        SendEmail second = command(user, "flw_once", Ids.newId(Ids.EXECUTION), "welcome", true, null);

        publish(first);
        publish(second);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, second.id()))
                .extracting(DeliveryResult::status).containsExactly(DeliveryResult.SKIPPED));
        assertThat(resultsFor(results, second.id()).get(0).detail()).containsEntry("reason", "send_once");
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, first.id()))
                .extracting(DeliveryResult::status).containsExactly(DeliveryResult.SENT));
        assertThat(mailTo(user.email())).hasSize(1);
    }

    @Test
    void maxCountOfTwoSendsTwoOfThreeEmailsAndCountsPerUser() {
        User user = User.fresh();
        User other = new User(user.appId(), user.externalUserId() + "_other", "other-" + user.email());
        List<SendEmail> commands = List.of(
                command(user, "flw_max", Ids.newId(Ids.EXECUTION), "nudge", false, 2),
                command(user, "flw_max", Ids.newId(Ids.EXECUTION), "nudge", false, 2),
                command(user, "flw_max", Ids.newId(Ids.EXECUTION), "nudge", false, 2),
                command(other, "flw_max", Ids.newId(Ids.EXECUTION), "nudge", false, 2));

        commands.forEach(Fixtures::publish);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(commands.stream()
                .flatMap(c -> resultsFor(results, c.id()).stream()).map(DeliveryResult::status).toList())
                .containsExactly(DeliveryResult.SENT, DeliveryResult.SENT, DeliveryResult.SKIPPED, DeliveryResult.SENT));
        assertThat(resultsFor(results, commands.get(2).id()).get(0).detail()).containsEntry("reason", "max_count");
        assertThat(mailTo(user.email())).hasSize(2);
        assertThat(mailTo(other.email())).hasSize(1);
    }

    @Test
    void sendsNothingToAUserDeletedBeforeTheCommandIsConsumed() {
        User user = User.fresh();
        SendEmail command = command(user);

        Fixtures.publishDeleted(user);
        await().atMost(DEADLINE).until(() -> pool.preparedQuery(
                        "SELECT 1 FROM email.deleted_users WHERE app_id = $1 AND external_user_id = $2")
                .execute(Tuple.of(user.appId(), user.externalUserId())).await().atMost(Duration.ofSeconds(5)).size() == 1);
        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                .extracting(DeliveryResult::status).containsExactly(DeliveryResult.SKIPPED));
        assertThat(logsFor(logs, command.correlationId())).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo("email.skipped");
            assertThat(e.detail()).containsEntry("reason", "user_deleted");
        });
        assertThat(mailTo(user.email())).isEmpty();
    }

    @Test
    void neverResendsADeliveryLeftSendingByACrashAndReportsItsOutcomeAsUnknown() {
        User user = User.fresh();
        SendEmail command = command(user);
        // the state a worker leaves when it stops after committing "sending" and before recording the outcome
        pool.preparedQuery("""
                        INSERT INTO email.deliveries (command_id, app_id, external_user_id, flow_id, execution_id, step_id,
                            correlation_id, recipient, status, attempts, counted, sending_until)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sending', 1, true, now() - interval '1 second')""")
                .execute(Tuple.from(List.of(command.id(), command.appId(), command.externalUserId(), command.flowId(),
                        command.executionId(), command.stepId(), command.correlationId(), command.to())))
                .await().atMost(DEADLINE);

        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                .singleElement().satisfies(r -> {
                    assertThat(r.status()).isEqualTo(DeliveryResult.FAILED);
                    assertThat(r.detail()).containsEntry("reason", "outcome_unknown").containsEntry("uncertain", true);
                }));
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(logsFor(logs, command.correlationId()))
                .extracting(AutomationLogEntry::type).containsExactlyInAnyOrder("email.failed", "email.skipped"));
        assertThat(status(command)).isEqualTo("uncertain");
        assertThat(mailTo(user.email())).isEmpty();
    }

    private String status(SendEmail command) {
        return pool.preparedQuery("SELECT status FROM email.deliveries WHERE command_id = $1")
                .execute(Tuple.of(command.id())).await().atMost(DEADLINE).iterator().next().getString("status");
    }

    @Test
    void deadLettersARecordThatIsNotASendEmailWithTheReasonAndGoesOn() {
        User user = User.fresh();
        String garbage = "not json " + user.externalUserId();
        try (TopicReader dlq = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.dlq(Topics.EMAIL_COMMANDS))) {
            Fixtures.publishRaw(Topics.userKey(user.appId(), user.externalUserId()), garbage);
            SendEmail next = command(user);
            publish(next);

            await().atMost(DEADLINE).untilAsserted(() -> assertThat(dlq.poll(m -> garbage.equals(m.value())))
                    .singleElement().satisfies(m -> assertThat(m.header("dead-letter-reason")).contains("not a SendEmail")));
            await().atMost(DEADLINE).until(() -> mailTo(user.email()).size() == 1);
        }
    }

    @Test
    void failsAtOnceForARecipientAddressThatCannotBeUsed() {
        User user = User.fresh();
        SendEmail valid = command(user);
        SendEmail command = new SendEmail(valid.id(), valid.appId(), valid.externalUserId(), valid.flowId(), 1,
                valid.executionId(), valid.stepId(), "not an address <<", valid.subject(), valid.text(), valid.html(),
                valid.data(), false, null, valid.correlationId(), valid.requestedAt());

        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                .singleElement().satisfies(r -> {
                    assertThat(r.status()).isEqualTo(DeliveryResult.FAILED);
                    assertThat(r.detail()).containsEntry("reason", "smtp_permanent");
                }));
        assertThat(status(command)).isEqualTo("failed");
    }

    @Test
    void skipsACommandWithoutARecipient() {
        User user = User.fresh();
        SendEmail valid = command(user);
        SendEmail command = new SendEmail(valid.id(), valid.appId(), valid.externalUserId(), valid.flowId(), 1,
                valid.executionId(), valid.stepId(), null, valid.subject(), valid.text(), valid.html(), valid.data(),
                false, null, valid.correlationId(), valid.requestedAt());

        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, command.id()))
                .singleElement().satisfies(r -> {
                    assertThat(r.status()).isEqualTo(DeliveryResult.SKIPPED);
                    assertThat(r.detail()).containsEntry("reason", "no_recipient");
                }));
    }

    @Test
    void rendersAValueMissingFromTheDataAsNothingInTheSentEmail() throws Exception {
        User user = User.fresh();
        SendEmail valid = command(user);
        SendEmail command = new SendEmail(valid.id(), valid.appId(), valid.externalUserId(), valid.flowId(), 1,
                valid.executionId(), valid.stepId(), valid.to(), "Hello {user.metadata.nickname}!",
                "Plan: {purchase.plan}.", null, valid.data(), false, null, valid.correlationId(), valid.requestedAt());

        publish(command);

        await().atMost(DEADLINE).until(() -> mailTo(user.email()).size() == 1);
        MimeMessage mail = mailTo(user.email()).get(0);
        assertThat(mail.getSubject()).isEqualTo("Hello !");
        assertThat(String.valueOf(mail.getContent()).trim()).isEqualTo("Plan: .");
    }

    @Test
    void sendsAgainToAUserRegisteredAgainButNeverWhatWasRequestedBeforeTheDeletion() {
        User user = User.fresh();
        SendEmail queuedBefore = command(user);

        Fixtures.publishDeleted(user);
        await().atMost(DEADLINE).until(() -> deletion(user, "deleted_at IS NOT NULL"));
        Fixtures.publishRegistered(user);
        await().atMost(DEADLINE).until(() -> deletion(user, "reactivated_at IS NOT NULL"));
        SendEmail requestedAfter = command(user);
        publish(queuedBefore);
        publish(requestedAfter);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(resultsFor(results, requestedAfter.id()))
                .extracting(DeliveryResult::status).containsExactly(DeliveryResult.SENT));
        assertThat(resultsFor(results, queuedBefore.id())).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(DeliveryResult.SKIPPED);
            assertThat(r.detail()).containsEntry("reason", "user_deleted");
        });
        assertThat(mailTo(user.email())).hasSize(1);
    }

    private boolean deletion(User user, String condition) {
        return pool.preparedQuery("SELECT 1 FROM email.deleted_users WHERE app_id = $1 AND external_user_id = $2 AND "
                        + condition)
                .execute(Tuple.of(user.appId(), user.externalUserId())).await().atMost(DEADLINE).size() == 1;
    }
}
