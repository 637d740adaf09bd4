package net.driploop.webhook.delivery;

import net.driploop.infra.HttpReceiver;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TopicReader;
import net.driploop.model.Ids;
import net.driploop.model.Topics;
import net.driploop.model.command.CallWebhook;
import net.driploop.webhook.ssrf.TargetGuard;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static net.driploop.webhook.delivery.Commands.command;
import static net.driploop.webhook.delivery.Commands.publish;
import static net.driploop.webhook.delivery.Commands.published;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * HTTPS to a pinned address: the guard resolves {@value #HOST} (a name no DNS server knows; this test's resolver
 * maps it to 127.0.0.1), the worker connects to that address, and TLS still names and checks the host: SNI is the
 * name, and the certificate must be issued for the name (it carries no IP address) and chain to the configured
 * trust. A certificate for another name, or one that is not trusted, is refused before any request is sent.
 */
@QuarkusTest
@TestProfile(HttpsTargetTest.PinnedTls.class)
@WithTestResource(InfraTestResource.class)
class HttpsTargetTest {

    static final String HOST = "hooks.example.test";
    static final Duration DEADLINE = Duration.ofSeconds(30);

    /** Certificates made once per run: hooks and other trusted, stranger (for the right name) not. */
    static final class Tls {
        static final TestCertificates CERTS;
        static final Path TRUST;

        static {
            try {
                CERTS = new TestCertificates();
                Path hooks = CERTS.create("hooks", HOST);
                Path other = CERTS.create("other", "other.example.test");
                CERTS.create("stranger", HOST);
                TRUST = CERTS.bundle("trust.pem", hooks, other);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Trusts the test's certificates only, and resolves {@value #HOST} to 127.0.0.1. */
    public static class PinnedTls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("driploop.webhook.trust-certificates", Tls.TRUST.toString(),
                    "driploop.webhook.allow-private-targets", "true");
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(TestNames.class);
        }
    }

    /** {@value #HOST} is 127.0.0.1 to the guard; every other name resolves as usual. */
    @Alternative
    @ApplicationScoped
    public static class TestNames implements TargetGuard.Resolver {
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            return HOST.equals(host) ? new InetAddress[] {InetAddress.getByAddress(HOST, new byte[] {127, 0, 0, 1})}
                    : InetAddress.getAllByName(host);
        }
    }

    static HttpReceiver hooks;
    static HttpReceiver other;
    static HttpReceiver stranger;
    static TopicReader results;

    @BeforeAll
    static void start() throws Exception {
        hooks = new HttpReceiver(Tls.CERTS.serverContext("hooks"));
        other = new HttpReceiver(Tls.CERTS.serverContext("other"));
        stranger = new HttpReceiver(Tls.CERTS.serverContext("stranger"));
        results = new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.DELIVERY_RESULTS);
    }

    @AfterAll
    static void stop() {
        hooks.close();
        other.close();
        stranger.close();
        results.close();
    }

    @Test
    void deliversOverHttpsToThePinnedAddressWithTheHostNameAsSniAndInTheCertificateCheck() {
        String path = WebhookDeliveryTest.path();
        CallWebhook command = command(Ids.newId(Ids.APP), hooks.url(HOST, path), null, null, Map.of());
        publish(command);

        // the JVM cannot resolve the name: the request reached 127.0.0.1 because the worker connected to the checked address
        await().atMost(DEADLINE).until(() -> hooks.received(path).size() == 1);
        HttpReceiver.Received request = hooks.received(path).get(0);
        assertThat(request.sni()).isEqualTo(HOST);
        assertThat(request.header("host")).isEqualTo(HOST + ":" + hooks.port());
        assertThat(request.header("webhook-id")).isEqualTo(command.id());
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(results, command.id()))
                .extracting(r -> r.get("status")).containsExactly("sent"));
    }

    @Test
    void refusesATrustedCertificateIssuedForAnotherName() {
        assertRefusedBeforeAnyRequest(other, HOST);
    }

    @Test
    void refusesACertificateForTheRightNameThatIsNotTrusted() {
        assertRefusedBeforeAnyRequest(stranger, "certification path");
    }

    /** A call to {@code receiver} fails its TLS handshake (an attempt to retry, with why) and sends no request. */
    static void assertRefusedBeforeAnyRequest(HttpReceiver receiver, String why) {
        String path = WebhookDeliveryTest.path();
        CallWebhook command = command(Ids.newId(Ids.APP), receiver.url(HOST, path), null, null, Map.of());
        publish(command);

        await().atMost(DEADLINE).untilAsserted(() -> assertThat(published(results, command.id())).first()
                .satisfies(result -> {
                    assertThat(result.get("status")).isEqualTo("retrying");
                    assertThat(String.valueOf(((Map<?, ?>) result.get("detail")).get("error"))).contains(why);
                }));
        assertThat(receiver.received(path)).isEmpty();
    }
}
