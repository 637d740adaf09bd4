package net.driploop.email;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** The worker against {@link FakeSmtpServer}, with a short retry schedule of three retries. */
public class FakeSmtpProfile implements QuarkusTestProfile {

    static FakeSmtpServer server;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("driploop.email.retry-delays", "PT0.2S,PT0.2S,PT0.2S");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(Resource.class));
    }

    /** Starts the fake server and hands it to Quarkus as the mailer. */
    public static class Resource implements QuarkusTestResourceLifecycleManager {

        @Override
        public Map<String, String> start() {
            try {
                server = new FakeSmtpServer();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("quarkus.mailer.host", "127.0.0.1", "quarkus.mailer.port", Integer.toString(server.port()),
                    "quarkus.mailer.mock", "false", "quarkus.mailer.start-tls", "DISABLED");
        }

        @Override
        public void stop() {
            try {
                server.close();
            } catch (IOException e) {
                // the JVM ends soon
            }
        }
    }
}
