package net.driploop.system.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import net.driploop.model.Topics;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docker-compose.yml cannot run here (no Docker engine), so it is checked by parsing: the images and builds, ports,
 * environment names, health checks and start order against the services' own configuration.
 */
class ComposeFileTest {

    private static final Path COMPOSE = ServiceConfig.ROOT.resolve("docker-compose.yml");
    private static final Pattern IMAGE_TAG = Pattern.compile("[\\w./-]+:[\\w.-]+");
    /** The connection settings every service needs (README "Configuration"). */
    private static final List<String> CONNECTION = List.of("KAFKA_BOOTSTRAP_SERVERS", "QUARKUS_DATASOURCE_REACTIVE_URL",
            "QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD");

    private final JsonNode services = Yaml.document(COMPOSE).path("services");

    @Test
    void everyServiceIsBuiltFromItsDockerfileAndEveryOtherOneIsATaggedImage() {
        assertThat(Yaml.fields(services).keySet()).containsAll(ServiceConfig.SERVICES);
        Yaml.fields(services).forEach((name, service) -> {
            if (ServiceConfig.SERVICES.contains(name)) {
                JsonNode build = service.path("build");
                Path context = COMPOSE.getParent().resolve(build.path("context").asText()).normalize();
                assertThat(context).as(name + " build context").isEqualTo(ServiceConfig.ROOT.resolve(name));
                assertThat(build.path("dockerfile").asText()).isEqualTo("src/main/docker/Dockerfile.jvm");
                assertThat(context.resolve(build.path("dockerfile").asText())).as(name + " Dockerfile").isRegularFile();
            } else {
                assertThat(service.path("image").asText()).as(name + " image with an explicit tag")
                        .matches(IMAGE_TAG).doesNotEndWith(":latest");
            }
        });
        assertThat(services.path("kafka").path("image").asText()).as("official Kafka image").startsWith("apache/kafka:4.1.");
        assertThat(services.path("kafka").path("environment").path("KAFKA_PROCESS_ROLES").asText()).as("KRaft")
                .contains("controller").contains("broker");
    }

    @Test
    void dockerfilesPackageTheFastJarAsANonRootUserAndExposeTheServicePort() {
        for (String name : ServiceConfig.SERVICES) {
            int port = ServiceConfig.of(name).httpPort();
            String dockerfile = ServiceConfig.read(ServiceConfig.ROOT.resolve(name).resolve("src/main/docker/Dockerfile.jvm"));
            assertThat(dockerfile).as(name)
                    .containsPattern("(?m)^FROM eclipse-temurin:17-jre")
                    .contains("COPY target/quarkus-app/lib/ ", "COPY target/quarkus-app/app/ ",
                            "COPY target/quarkus-app/quarkus/ ", "quarkus-run.jar")
                    .containsPattern("(?m)^EXPOSE " + port + "$")
                    .containsPattern("(?m)^HEALTHCHECK .*\\n.*http://127\\.0\\.0\\.1:" + port + "/q/health/ready");
            Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(dockerfile);
            assertThat(user.find()).as(name + " USER").isTrue();
            assertThat(user.group(1)).as(name + " runs as").isNotIn("0", "root").matches("[1-9][0-9]*");
        }
    }

    @Test
    void containersAreGivenTimeToFinishTheWorkUnderWayWhenStopped() {
        for (String name : ServiceConfig.SERVICES) {
            Duration needed = ServiceConfig.of(name).drainOnStop().plus(ServiceConfig.STOP_AFTER_DRAIN);
            JsonNode grace = services.path(name).path("stop_grace_period");
            // Compose's default is 10 s; the file writes whole seconds
            Duration given = grace.isMissingNode() ? Duration.ofSeconds(10)
                    : Duration.ofSeconds(Long.parseLong(grace.asText().replaceFirst("s$", "")));
            assertThat(given).as(name + " stop_grace_period").isGreaterThanOrEqualTo(needed);
        }
    }

    @Test
    void portsAreTheServicesHttpPorts() {
        for (String name : ServiceConfig.SERVICES) {
            int port = ServiceConfig.of(name).httpPort();
            JsonNode service = services.path(name);
            List<String> ports = new ArrayList<>();
            service.path("ports").forEach(p -> ports.add(p.asText()));
            assertThat(ports).as(name + " published ports").containsExactly(port + ":" + port);
            assertThat(service.path("environment").path("QUARKUS_HTTP_PORT").asText()).isEqualTo(String.valueOf(port));
        }
    }

    @Test
    void everyEnvironmentNameIsOneTheServiceReads() {
        for (String name : ServiceConfig.SERVICES) {
            ServiceConfig config = ServiceConfig.of(name);
            Set<String> given = Yaml.fields(services.path(name).path("environment")).keySet();
            assertThat(config.envNames).as(name + " reads").containsAll(given);

            List<String> required = new ArrayList<>(CONNECTION);
            if (config.hasAdminApi()) {
                required.add("DRIPLOOP_ADMIN_TOKEN");
            }
            if (config.keys.contains("quarkus.mailer.host")) {
                required.addAll(List.of("QUARKUS_MAILER_HOST", "QUARKUS_MAILER_PORT", "QUARKUS_MAILER_FROM"));
            }
            if (config.keys.contains("driploop.webhook.secret-key")) {
                required.add("DRIPLOOP_WEBHOOK_SECRET_KEY"); // the service refuses to start without it
            }
            assertThat(given).as(name + " environment").containsAll(required);
        }
    }

    @Test
    void secretsAreNeverWrittenInTheFile() {
        for (String name : ServiceConfig.SERVICES) {
            Yaml.fields(services.path(name).path("environment")).forEach((env, value) -> {
                if (env.equals("DRIPLOOP_ADMIN_TOKEN") || env.equals("DRIPLOOP_WEBHOOK_SECRET_KEY")) {
                    assertThat(value.asText()).as(name + " " + env + " must come from the caller's environment")
                            .startsWith("${" + env + ":?");
                }
            });
        }
    }

    @Test
    void everyConfigurationNameOfTheReadmeIsReadBySomeService() {
        Set<String> read = new TreeSet<>();
        ServiceConfig.SERVICES.forEach(s -> read.addAll(ServiceConfig.of(s).envNames));
        List<String> documented = Yaml.readmeConfigurationNames();
        assertThat(documented).contains("KAFKA_BOOTSTRAP_SERVERS", "DRIPLOOP_ADMIN_TOKEN", "QUARKUS_MAILER_HOST",
                "DRIPLOOP_WEBHOOK_SECRET_KEY", "DRIPLOOP_LIMITS_METADATA_KEY_LENGTH");
        assertThat(read).as("names the services read").containsAll(documented);
    }

    @Test
    void servicesPointAtTheComposeInfrastructure() {
        for (String name : ServiceConfig.SERVICES) {
            JsonNode env = services.path(name).path("environment");
            assertThat(env.path("KAFKA_BOOTSTRAP_SERVERS").asText()).isEqualTo("kafka:9092");
            assertThat(env.path("QUARKUS_DATASOURCE_REACTIVE_URL").asText()).isEqualTo("postgresql://postgres:5432/driploop");
            assertThat(env.path("QUARKUS_DATASOURCE_JDBC_URL").asText())
                    .isEqualTo("jdbc:" + env.path("QUARKUS_DATASOURCE_REACTIVE_URL").asText());
        }
        assertThat(services.path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText())
                .contains("PLAINTEXT://kafka:9092");
        assertThat(services.path("postgres").path("environment").path("POSTGRES_DB").asText()).isEqualTo("driploop");
        assertThat(services.path("email-worker").path("environment").path("QUARKUS_MAILER_HOST").asText()).isEqualTo("mailpit");
        assertThat(services.path("mailpit").path("ports").toString())
                .contains("\"" + services.path("email-worker").path("environment").path("QUARKUS_MAILER_PORT").asText() + ":");
    }

    @Test
    void everyContainerHasAHealthCheckAndServicesStartOnlyWhenWhatTheyNeedIsHealthy() {
        Yaml.fields(services).forEach((name, service) -> {
            if (!name.equals("kafka-topics")) {
                assertThat(service.path("healthcheck").path("test").isMissingNode()).as(name + " healthcheck").isFalse();
            }
            Yaml.fields(service.path("depends_on")).forEach((dependency, how) -> {
                String condition = how.path("condition").asText();
                assertThat(condition).as(name + " → " + dependency)
                        .isIn("service_healthy", "service_completed_successfully");
                assertThat(services.has(dependency)).as(dependency + " is a service").isTrue();
            });
        });
        for (String name : ServiceConfig.SERVICES) {
            JsonNode service = services.path(name);
            assertThat(service.path("healthcheck").path("test").toString()).as(name)
                    .contains("http://127.0.0.1:" + ServiceConfig.of(name).httpPort() + "/q/health/ready");
            Map<String, JsonNode> dependsOn = Yaml.fields(service.path("depends_on"));
            assertThat(dependsOn.get("postgres").path("condition").asText()).isEqualTo("service_healthy");
            assertThat(dependsOn.get("kafka-topics").path("condition").asText()).isEqualTo("service_completed_successfully");
        }
        assertThat(services.path("email-worker").path("depends_on").path("mailpit").path("condition").asText())
                .as("the email worker is ready only while SMTP answers").isEqualTo("service_healthy");
        assertThat(services.path("kafka-topics").path("depends_on").path("kafka").path("condition").asText())
                .isEqualTo("service_healthy");
    }

    @Test
    void theTopicsOfEveryChannelAreCreatedBeforeTheServicesStart() {
        String script = services.path("kafka-topics").path("command").path(0).asText();
        Set<String> topics = new TreeSet<>(List.of(Topics.EVENTS, Topics.EMAIL_COMMANDS, Topics.WEBHOOK_COMMANDS,
                Topics.DELIVERY_RESULTS, Topics.AUTOMATION_LOG));
        for (String name : ServiceConfig.SERVICES) {
            ServiceConfig.of(name).channels.values().forEach(c -> topics.add(c.topic()));
        }
        for (String topic : topics) {
            assertThat(script).as("creates " + topic).containsPattern("[\\s\"]" + Pattern.quote(topic) + "[\\s\\\\;]");
        }
    }
}
