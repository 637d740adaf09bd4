package net.driploop.email;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import net.driploop.email.Fixtures.User;
import net.driploop.email.delivery.DeliveryService;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.SmtpTestResource;
import net.driploop.infra.TopicReader;
import net.driploop.model.Ids;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.command.SendEmail;
import net.driploop.model.log.AutomationLogEntry;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static net.driploop.email.Fixtures.DEADLINE;
import static net.driploop.email.Fixtures.command;
import static net.driploop.email.Fixtures.mailTo;
import static net.driploop.email.Fixtures.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Many users' commands on one partition delivered at once: each user's in order, each command once. */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
@WithTestResource(SmtpTestResource.class)
class ConcurrentDeliveryTest {

    @Inject
    DeliveryService deliveries;

    @Inject
    Pool pool;

    /** A delivery as the ledger recorded it: claimed at {@code created}, outcome recorded at {@code updated}. */
    private record Recorded(String user, OffsetDateTime created, OffsetDateTime updated) {

        boolean overlaps(Recorded other) {
            return created.isBefore(other.updated) && other.created.isBefore(updated);
        }
    }

    @Test
    void deliversEachUsersEmailsInOrderAndOnceWhileUsersSharingAPartitionAreServedAtOnce() {
        int perUser = 6;
        List<User> users = IntStream.range(0, 24).mapToObj(i -> User.fresh()).toList();
        Map<User, List<SendEmail>> commands = new HashMap<>();
        for (User user : users) {
            commands.put(user, IntStream.rangeClosed(1, perUser).mapToObj(k -> numbered(command(user), k)).toList());
        }
        Map<String, Integer> partitionOf = new HashMap<>();
        List<SendEmail> all = commands.values().stream().flatMap(List::stream).toList();

        try (TopicReader logs = Fixtures.logs(); TopicReader results = Fixtures.results()) {
            // the k-th email of every user, then the next: each poll brings several users' commands of each partition
            for (int k = 0; k < perUser; k++) {
                for (User user : users) {
                    partitionOf.put(user.externalUserId(), publish(commands.get(user).get(k)));
                }
            }
            // every record once more, as after a rebalance or a producer retry: the same commands at later offsets
            for (int k = 0; k < perUser; k++) {
                for (User user : users) {
                    publish(commands.get(user).get(k));
                }
            }

            await().atMost(DEADLINE.multipliedBy(2)).untilAsserted(() -> {
                Map<String, List<AutomationLogEntry>> logged = logsByCorrelationId(logs);
                assertThat(all).allSatisfy(c -> assertThat(logged.getOrDefault(c.correlationId(), List.of()))
                        .extracting(AutomationLogEntry::type).containsExactlyInAnyOrder("email.sent", "email.skipped"));
            });
            Map<String, List<AutomationLogEntry>> logged = logsByCorrelationId(logs);
            assertThat(all).allSatisfy(c -> assertThat(logged.get(c.correlationId()))
                    .filteredOn(e -> e.type().equals("email.skipped"))
                    .singleElement().satisfies(e -> assertThat(e.detail()).containsEntry("reason", "duplicate")));
            await().atMost(DEADLINE).untilAsserted(() -> {
                Map<String, List<String>> reported = resultsByCommandId(results);
                assertThat(all).allSatisfy(c -> assertThat(reported.get(c.id())).containsExactly(DeliveryResult.SENT));
            });
        }
        for (User user : users) {
            assertThat(mailTo(user.email())).extracting(ConcurrentDeliveryTest::subject)
                    .as("the emails of %s, in the order they arrived", user.externalUserId())
                    .containsExactly(IntStream.rangeClosed(1, perUser).mapToObj(k -> "Mail " + k).toArray(String[]::new));
        }

        // users of one partition were served at once: some deliveries of different users overlapped in time
        Map<Integer, List<Recorded>> byPartition = new HashMap<>();
        for (Row row : pool.preparedQuery("""
                        SELECT external_user_id, created_at, updated_at FROM email.deliveries
                        WHERE external_user_id = ANY($1)""")
                .execute(Tuple.of(users.stream().map(User::externalUserId).toArray(String[]::new)))
                .await().atMost(DEADLINE)) {
            byPartition.computeIfAbsent(partitionOf.get(row.getString("external_user_id")), p -> new ArrayList<>())
                    .add(new Recorded(row.getString("external_user_id"), row.getOffsetDateTime("created_at"),
                            row.getOffsetDateTime("updated_at")));
        }
        assertThat(byPartition.values()).anySatisfy(deliveriesOfPartition -> assertThat(deliveriesOfPartition)
                .anySatisfy(a -> assertThat(deliveriesOfPartition)
                        .anySatisfy(b -> {
                            assertThat(b.user()).isNotEqualTo(a.user());
                            assertThat(b.overlaps(a)).isTrue();
                        })));
    }

    @Test
    void countsMaxCountRaceFreeWhenOneUsersCommandsAreDeliveredAtOnce() {
        User user = User.fresh();
        List<SendEmail> commands = IntStream.range(0, 6)
                .mapToObj(i -> command(user, "flw_race", Ids.newId(Ids.EXECUTION), "nudge", false, 2)).toList();

        try (TopicReader results = Fixtures.results()) {
            // as replicas would after a rebalance: all at once, on separate connections
            Uni.join().all(commands.stream().map(c -> deliveries.deliver(c, Ids.newId(Ids.EVENT))).toList())
                    .andFailFast().await().atMost(DEADLINE);

            await().atMost(DEADLINE).untilAsserted(() -> {
                Map<String, List<String>> reported = resultsByCommandId(results);
                assertThat(commands.stream().flatMap(c -> reported.getOrDefault(c.id(), List.of()).stream()).toList())
                        .hasSize(6).containsOnly(DeliveryResult.SENT, DeliveryResult.SKIPPED)
                        .filteredOn(DeliveryResult.SENT::equals).hasSize(2);
            });
        }
        assertThat(mailTo(user.email())).hasSize(2);
    }

    /** Every automation-log entry read so far, by correlationId (one poll: there are hundreds of commands). */
    private static Map<String, List<AutomationLogEntry>> logsByCorrelationId(TopicReader logs) {
        Map<String, List<AutomationLogEntry>> out = new HashMap<>();
        logs.poll().forEach(m -> out.computeIfAbsent(m.key(), k -> new ArrayList<>())
                .add(Fixtures.read(m.value(), AutomationLogEntry.class)));
        return out;
    }

    /** The statuses of every delivery result read so far, by command id, in order. */
    private static Map<String, List<String>> resultsByCommandId(TopicReader results) {
        Map<String, List<String>> out = new HashMap<>();
        results.poll().forEach(m -> {
            DeliveryResult result = Fixtures.read(m.value(), DeliveryResult.class);
            out.computeIfAbsent(result.commandId(), k -> new ArrayList<>()).add(result.status());
        });
        return out;
    }

    /** The command with the plain subject "Mail {k}". */
    private static SendEmail numbered(SendEmail c, int k) {
        return new SendEmail(c.id(), c.appId(), c.externalUserId(), c.flowId(), c.flowVersion(), c.executionId(),
                c.stepId(), c.to(), "Mail " + k, c.text(), c.html(), c.data(), c.sendOnce(), c.maxCount(),
                c.correlationId(), c.requestedAt());
    }

    private static String subject(MimeMessage message) {
        try {
            return message.getSubject();
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }
}
