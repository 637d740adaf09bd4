package net.driploop.webhook.delivery;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import net.driploop.infra.HttpReceiver;
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

import static net.driploop.webhook.delivery.Commands.command;
import static net.driploop.webhook.delivery.Commands.publish;
import static net.driploop.webhook.delivery.Commands.published;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With the SSRF guard on (as in production), a target on a loopback address is refused and the refusal is
 * logged as a failure with its reason. The targets are loopback only: even a broken guard could not reach
 * anything but this test's own receiver.
 */
@QuarkusTest
@TestProfile(SsrfRefusalTest.GuardOn.class)
@WithTestResource(InfraTestResource.class)
class SsrfRefusalTest {

    /** The production setting: private targets refused. */
    public static class GuardOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("driploop.webhook.allow-private-targets", "false");
        }
    }

    static final Duration DEADLINE = Duration.ofSeconds(30);
    static HttpReceiver receiver;
    static TopicReader results;
    static TopicReader log;

    @BeforeAll
    static void start() throws Exception {
        receiver = new HttpReceiver();
        results = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.DELIVERY_RESULTS);
        log = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.AUTOMATION_LOG);
    }

    @AfterAll
    static void stop() {
        receiver.close();
        results.close();
        log.close();
    }

    @Test
    void refusesTargetsThatResolveToLoopbackAndLogsTheReasonWithoutRetrying() {
        List<String> urls = List.of("http://localhost:" + receiver.port() + "/ssrf/name",
                receiver.url("/ssrf/ipv4"), "http://[::1]:" + receiver.port() + "/ssrf/ipv6",
                "http://[::ffff:127.0.0.1]:" + receiver.port() + "/ssrf/mapped");
        List<CallWebhook> commands = urls.stream()
                .map(url -> command(Ids.newId(Ids.APP), url, null, null, Map.of())).toList();
        commands.forEach(Commands::publish);

        for (CallWebhook command : commands) {
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(results, command.id()))
                    .singleElement().satisfies(result -> {
                        assertThat(result.get("status")).isEqualTo("failed");
                        assertThat(String.valueOf(((Map<?, ?>) result.get("detail")).get("error")))
                                .contains("loopback").contains("public addresses");
                    }));
            await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(log, command.correlationId()))
                    .singleElement().satisfies(entry -> {
                        assertThat(entry.get("type")).isEqualTo("webhook.failed");
                        assertThat(String.valueOf(((Map<?, ?>) entry.get("detail")).get("error"))).contains("loopback");
                    }));
        }
        assertThat(receiver.received("/ssrf")).isEmpty();
        assertThat(receiver.received("/ssrf/name")).isEmpty();
        assertThat(receiver.received("/ssrf/ipv4")).isEmpty();
    }

    @Test
    void refusesSchemesOtherThanHttpAndHttps() {
        CallWebhook command = command(Ids.newId(Ids.APP), "file:///etc/passwd", null, null, Map.of());
        publish(command);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(results, command.id())).singleElement()
                .satisfies(result -> assertThat(String.valueOf(((Map<?, ?>) result.get("detail")).get("error")))
                        .contains("only http and https")));
    }
}
