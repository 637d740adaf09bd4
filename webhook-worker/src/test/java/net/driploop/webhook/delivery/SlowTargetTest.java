package net.driploop.webhook.delivery;

import net.driploop.infra.HttpReceiver;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.command.CallWebhook;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static net.driploop.webhook.delivery.Commands.command;
import static net.driploop.webhook.delivery.Commands.published;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A slow receiver holds no more than its own share: with two attempts per target, a burst to a receiver that takes
 * two seconds to answer leaves the rest of its deliveries waiting (not attempted, not failed) while another
 * receiver's deliveries go through at once; as the slow answers come, the waiting ones are sent, each once.
 */
@QuarkusTest
@TestProfile(SlowTargetTest.TwoPerTarget.class)
@WithTestResource(InfraTestResource.class)
class SlowTargetTest {

    /** Two attempts at once per target. */
    public static class TwoPerTarget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("driploop.webhook.max-per-target", "2", "driploop.webhook.response-timeout", "PT5S");
        }
    }

    static final Duration DEADLINE = Duration.ofSeconds(30);
    static HttpReceiver slow;
    static HttpReceiver fast;
    static TopicReader results;

    @BeforeAll
    static void start() throws Exception {
        slow = new HttpReceiver();
        slow.answerAfter(2000);
        fast = new HttpReceiver();
        results = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.DELIVERY_RESULTS);
    }

    @AfterAll
    static void stop() {
        slow.close();
        fast.close();
        results.close();
    }

    @Test
    void aSlowReceiverHoldsOnlyItsOwnSlotsAndItsWaitingDeliveriesAreSentAsTheyFree() {
        String app = Ids.newId(Ids.APP);
        List<CallWebhook> toSlow = IntStream.range(0, 6)
                .mapToObj(i -> command(app, slow.url("/slow/" + i), null, null, Map.of())).toList();
        List<CallWebhook> toFast = IntStream.range(0, 5)
                .mapToObj(i -> command(app, fast.url("/fast/" + i), null, null, Map.of())).toList();
        toSlow.forEach(Commands::publish);
        toFast.forEach(Commands::publish);

        for (CallWebhook command : toFast) {
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(results, command.id()))
                    .extracting(r -> r.get("status")).containsExactly("sent"));
        }
        // the fast receiver was done before the slow one had been asked its last: three rounds of two seconds
        long fastDone = fast.all().stream().mapToLong(HttpReceiver.Received::atMillis).max().orElseThrow();
        for (CallWebhook command : toSlow) {
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(results, command.id()))
                    .singleElement().satisfies(result -> {
                        assertThat(result.get("status")).isEqualTo("sent");
                        // waiting for room is not an attempt
                        assertThat(((Map<?, ?>) result.get("detail")).get("attempt")).isEqualTo(1);
                    }));
        }
        List<HttpReceiver.Received> slowCalls = slow.all();
        assertThat(slowCalls).extracting(r -> r.header("webhook-id"))
                .containsExactlyInAnyOrderElementsOf(toSlow.stream().map(CallWebhook::id).toList());
        assertThat(slow.mostOpen()).isEqualTo(2);
        assertThat(slowCalls.stream().mapToLong(HttpReceiver.Received::atMillis).max().orElseThrow()).isGreaterThan(fastDone);
    }
}
