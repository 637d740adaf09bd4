package net.driploop.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The system tests run after the four services are packaged: their runnable jars are there to start. */
class ModuleLayoutTest {

    @Test
    void everyServiceIsPackagedBeforeTheSystemTestsRun() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        for (String service : new String[] {"ingest-api", "flow-engine", "email-worker", "webhook-worker"}) {
            assertThat(root.resolve(service).resolve("target/quarkus-app/quarkus-run.jar"))
                    .as(service + " runnable jar")
                    .exists();
        }
        assertThat(Files.isDirectory(root.resolve("deploy"))).isTrue();
    }
}
