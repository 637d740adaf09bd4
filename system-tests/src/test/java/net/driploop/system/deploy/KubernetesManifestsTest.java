package net.driploop.system.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import net.driploop.system.deploy.ServiceConfig.Channel;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * deploy/k8s checked offline (no cluster, no kubectl): the kustomization resolves, every resource is well formed,
 * and probes, ports, environment names, secrets, autoscaling groups and partition caps agree with the services'
 * own configuration.
 */
class KubernetesManifestsTest {

    private static final Path K8S = ServiceConfig.ROOT.resolve("deploy/k8s");
    private static final Map<String, String> API_VERSIONS = Map.of("Deployment", "apps/v1", "Service", "v1",
            "ConfigMap", "v1", "Job", "batch/v1", "HorizontalPodAutoscaler", "autoscaling/v2",
            "ScaledObject", "keda.sh/v1alpha1");
    /** The channel whose lag is each lag-scaled service's main work. */
    private static final Map<String, String> WORK_CHANNEL = Map.of("flow-engine", "events",
            "email-worker", "email-commands", "webhook-worker", "webhook-commands");
    /** Values that must come from a Secret, never from a ConfigMap or a literal. */
    private static final Set<String> SECRETS = Set.of("QUARKUS_DATASOURCE_PASSWORD", "DRIPLOOP_ADMIN_TOKEN",
            "DRIPLOOP_WEBHOOK_SECRET_KEY");

    private final Kustomization base = Kustomization.build(K8S);

    @Test
    void everyResourceIsWellFormedAndNoSecretIsStored() {
        assertThat(base.documents).isNotEmpty();
        assertThat(base.all("Secret")).as("secrets are referenced, never stored").isEmpty();
        for (JsonNode document : base.documents) {
            String kind = document.path("kind").asText();
            String name = document.path("metadata").path("name").asText();
            assertThat(API_VERSIONS).as("a kind this base should hold: " + kind).containsKey(kind);
            assertThat(document.path("apiVersion").asText()).as(kind + " " + name).isEqualTo(API_VERSIONS.get(kind));
            assertThat(name).as(kind + " name").matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        }
        Set<String> names = new TreeSet<>();
        base.documents.forEach(d -> assertThat(names.add(d.path("kind").asText() + "/" + d.path("metadata").path("name").asText()))
                .as("unique " + d.path("kind").asText() + " " + d.path("metadata").path("name").asText()).isTrue());
        for (String service : ServiceConfig.SERVICES) {
            base.get("Deployment", service);
            base.get("Service", service);
            base.get("ConfigMap", service + "-config");
        }
    }

    @Test
    void deploymentsProbeTheHealthEndpointsOnTheServicePortAsNonRootWithResources() {
        for (String service : ServiceConfig.SERVICES) {
            int port = ServiceConfig.of(service).httpPort();
            JsonNode deployment = base.get("Deployment", service);
            JsonNode pod = deployment.path("spec").path("template");
            assertThat(deployment.path("spec").path("selector").path("matchLabels").path("app.kubernetes.io/name").asText())
                    .isEqualTo(service);
            assertThat(pod.path("metadata").path("labels").path("app.kubernetes.io/name").asText()).isEqualTo(service);
            JsonNode container = onlyContainer(deployment);

            assertThat(container.path("image").asText()).isEqualTo("driploop/" + service);
            assertThat(base.imageTags.get("driploop/" + service)).as(service + " image tag").isNotBlank();
            assertThat(container.path("ports").size()).isEqualTo(1);
            assertThat(container.path("ports").path(0).path("name").asText()).isEqualTo("http");
            assertThat(container.path("ports").path(0).path("containerPort").asInt()).as(service + " port").isEqualTo(port);

            assertProbe(container.path("livenessProbe"), "/q/health/live");
            assertProbe(container.path("readinessProbe"), "/q/health/ready");
            assertProbe(container.path("startupProbe"), "/q/health/started");

            JsonNode resources = container.path("resources");
            for (String quantity : List.of("requests.cpu", "requests.memory", "limits.memory", "limits.cpu")) {
                String[] at = quantity.split("\\.");
                assertThat(resources.path(at[0]).path(at[1]).asText()).as(service + " " + quantity).isNotBlank();
            }
            assertThat(resources.path("limits").path("memory").asText()).as("memory request = limit (the heap is sized from it)")
                    .isEqualTo(resources.path("requests").path("memory").asText());

            JsonNode podSecurity = pod.path("spec").path("securityContext");
            assertThat(podSecurity.path("runAsNonRoot").asBoolean()).as(service + " runAsNonRoot").isTrue();
            assertThat(podSecurity.path("runAsUser").asInt()).as(service + " runAsUser").isPositive();
            JsonNode security = container.path("securityContext");
            assertThat(security.path("allowPrivilegeEscalation").isBoolean()
                    && !security.path("allowPrivilegeEscalation").asBoolean()).as(service + " no privilege escalation").isTrue();
            assertThat(security.path("capabilities").path("drop").toString()).contains("\"ALL\"");
        }
    }

    @Test
    void podsAreGivenTimeToFinishTheWorkUnderWayWhenStopped() {
        for (String service : ServiceConfig.SERVICES) {
            Duration needed = ServiceConfig.of(service).drainOnStop().plus(ServiceConfig.STOP_AFTER_DRAIN);
            JsonNode grace = base.get("Deployment", service).path("spec").path("template").path("spec")
                    .path("terminationGracePeriodSeconds");
            // Kubernetes' default is 30 s
            long seconds = grace.isMissingNode() ? 30 : grace.asLong();
            assertThat(Duration.ofSeconds(seconds)).as(service + " terminationGracePeriodSeconds").isGreaterThanOrEqualTo(needed);
        }
    }

    @Test
    void servicesRouteToTheHttpPort() {
        for (String service : ServiceConfig.SERVICES) {
            JsonNode svc = base.get("Service", service);
            assertThat(svc.path("spec").path("selector").path("app.kubernetes.io/name").asText()).isEqualTo(service);
            JsonNode port = svc.path("spec").path("ports").path(0);
            assertThat(port.path("port").asInt()).isEqualTo(ServiceConfig.of(service).httpPort());
            assertThat(port.path("targetPort").asText()).isEqualTo("http");
        }
    }

    @Test
    void everyEnvironmentNameIsOneTheServiceReadsAndSecretsComeFromSecrets() {
        for (String service : ServiceConfig.SERVICES) {
            ServiceConfig config = ServiceConfig.of(service);
            Map<String, JsonNode> env = environment(onlyContainer(base.get("Deployment", service)));
            assertThat(config.envNames).as(service + " reads").containsAll(env.keySet());
            assertThat(env).containsKeys("KAFKA_BOOTSTRAP_SERVERS", "QUARKUS_DATASOURCE_REACTIVE_URL",
                    "QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD");
            if (config.hasAdminApi()) {
                assertThat(env).as(service + " serves admin calls").containsKey("DRIPLOOP_ADMIN_TOKEN");
            }
            if (config.keys.contains("driploop.webhook.secret-key")) {
                assertThat(env).containsKey("DRIPLOOP_WEBHOOK_SECRET_KEY");
            }
            if (config.keys.contains("quarkus.mailer.host")) {
                assertThat(env).containsKeys("QUARKUS_MAILER_HOST", "QUARKUS_MAILER_PORT", "QUARKUS_MAILER_FROM");
            }
            env.forEach((name, source) -> {
                if (SECRETS.contains(name)) {
                    assertThat(source.path("valueFrom").path("secretKeyRef").path("name").asText())
                            .as(service + " " + name + " from a Secret").isNotBlank();
                }
            });
            assertThat(env.get("QUARKUS_HTTP_PORT").path("value").asText()).isEqualTo(String.valueOf(config.httpPort()));
        }
    }

    @Test
    void ingestScalesOnCpu() {
        JsonNode hpa = base.get("HorizontalPodAutoscaler", "ingest-api").path("spec");
        assertThat(hpa.path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
        assertThat(hpa.path("scaleTargetRef").path("name").asText()).isEqualTo("ingest-api");
        assertThat(hpa.path("minReplicas").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(hpa.path("maxReplicas").asInt()).isGreaterThan(hpa.path("minReplicas").asInt());
        JsonNode metric = hpa.path("metrics").path(0);
        assertThat(metric.path("type").asText()).isEqualTo("Resource");
        assertThat(metric.path("resource").path("name").asText()).isEqualTo("cpu");
        assertThat(metric.path("resource").path("target").path("averageUtilization").asInt()).isBetween(1, 100);
        assertThat(base.all("ScaledObject")).noneMatch(s -> s.path("spec").path("scaleTargetRef").path("name").asText()
                .equals("ingest-api"));
    }

    @Test
    void enginesAndWorkersScaleOnTheLagOfTheirOwnConsumerGroupsUpToThePartitionCount() {
        int partitions = topicPartitions();
        assertThat(base.all("ScaledObject")).hasSize(WORK_CHANNEL.size());
        WORK_CHANNEL.forEach((service, workChannel) -> {
            ServiceConfig config = ServiceConfig.of(service);
            JsonNode spec = base.get("ScaledObject", service).path("spec");
            assertThat(spec.path("scaleTargetRef").path("name").asText()).isEqualTo(service);
            assertThat(spec.path("minReplicaCount").asInt()).as(service + " keeps sweeping timers and retries").isGreaterThanOrEqualTo(1);
            int max = spec.path("maxReplicaCount").asInt();
            assertThat(max).as(service + " maxReplicaCount").isBetween(spec.path("minReplicaCount").asInt(), partitions);

            Set<String> env = environment(onlyContainer(base.get("Deployment", service))).keySet();
            List<String> pairs = new ArrayList<>();
            int useful = 0;
            for (JsonNode trigger : spec.path("triggers")) {
                assertThat(trigger.path("type").asText()).isEqualTo("kafka");
                JsonNode metadata = trigger.path("metadata");
                assertThat(env).as("bootstrapServersFromEnv names the container's env")
                        .contains(metadata.path("bootstrapServersFromEnv").asText());
                String topic = metadata.path("topic").asText();
                String group = metadata.path("consumerGroup").asText();
                Channel channel = config.channels.values().stream()
                        .filter(c -> c.topic().equals(topic) && group.equals(c.groupId())).findFirst()
                        .orElseThrow(() -> new AssertionError(service + " has no channel on " + topic + " in group " + group
                                + "; its channels: " + config.channels.values()));
                assertThat(Integer.parseInt(metadata.path("lagThreshold").asText())).isPositive();
                assertThat(metadata.path("offsetResetPolicy").asText()).as("as the consumers' auto.offset.reset")
                        .isEqualTo(config.get("mp.messaging.incoming." + channel.name() + ".auto.offset.reset"));
                pairs.add(topic + "/" + group);
                useful = Math.max(useful, (partitions + channel.consumersPerReplica() - 1) / channel.consumersPerReplica());
            }
            Channel work = config.channels.get(workChannel);
            assertThat(pairs).as(service + " scales on its work").contains(work.topic() + "/" + work.groupId());
            assertThat(max).as(service + ": no more replicas than can own a partition").isLessThanOrEqualTo(useful);
        });
    }

    @Test
    void theTopicJobCreatesEveryConsumedTopic() {
        JsonNode container = onlyContainer(base.get("Job", "driploop-kafka-topics"));
        String script = container.path("args").path(0).asText();
        Set<String> topics = new TreeSet<>();
        for (String service : ServiceConfig.SERVICES) {
            ServiceConfig.of(service).channels.values().forEach(c -> topics.add(c.topic()));
        }
        assertThat(topics).contains(net.driploop.model.Topics.EVENTS, net.driploop.model.Topics.EMAIL_COMMANDS);
        for (String topic : topics) {
            assertThat(script).as("creates " + topic).containsPattern("\\s" + Pattern.quote(topic) + "[\\s\\\\;]");
        }
        assertThat(script).contains("--partitions \"$TOPIC_PARTITIONS\"", "--if-not-exists");
        assertThat(environment(container)).containsKey("KAFKA_BOOTSTRAP_SERVERS");
    }

    @Test
    void theOperatorsKustomizationProvidesTheNamesTheBaseUses() {
        Kustomization operators = Kustomization.build(K8S.resolve("operators"));
        Map<String, String> common = new LinkedHashMap<>();
        base.get("ConfigMap", "driploop-common").path("data").fields()
                .forEachRemaining(e -> common.put(e.getKey(), e.getValue().asText()));

        JsonNode kafka = operators.get("Kafka", "driploop");
        assertThat(kafka.path("apiVersion").asText()).startsWith("kafka.strimzi.io/");
        JsonNode plain = null;
        for (JsonNode listener : kafka.path("spec").path("kafka").path("listeners")) {
            if (!listener.path("tls").asBoolean() && "internal".equals(listener.path("type").asText())) {
                plain = listener;
            }
        }
        assertThat(plain).as("a plain internal listener").isNotNull();
        assertThat(common.get("KAFKA_BOOTSTRAP_SERVERS"))
                .isEqualTo("driploop-kafka-bootstrap:" + plain.path("port").asInt());
        JsonNode pool = operators.all("KafkaNodePool").get(0);
        assertThat(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isEqualTo("driploop");

        JsonNode cluster = operators.get("Cluster", "driploop-db");
        assertThat(cluster.path("apiVersion").asText()).isEqualTo("postgresql.cnpg.io/v1");
        String database = cluster.path("spec").path("bootstrap").path("initdb").path("database").asText();
        URI url = URI.create(common.get("QUARKUS_DATASOURCE_REACTIVE_URL"));
        assertThat(url.getHost()).as("CloudNativePG read-write service").isEqualTo("driploop-db-rw");
        assertThat(url.getPath()).isEqualTo("/" + database);
        assertThat(common.get("QUARKUS_DATASOURCE_JDBC_URL")).isEqualTo("jdbc:" + common.get("QUARKUS_DATASOURCE_REACTIVE_URL"));
        for (String service : ServiceConfig.SERVICES) {
            Map<String, JsonNode> env = environment(onlyContainer(base.get("Deployment", service)));
            for (String name : List.of("QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD")) {
                JsonNode ref = env.get(name).path("valueFrom").path("secretKeyRef");
                assertThat(ref.path("name").asText()).as("the CloudNativePG app secret").isEqualTo("driploop-db-app");
                assertThat(ref.path("key").asText()).isEqualTo(name.endsWith("USERNAME") ? "username" : "password");
            }
        }
        operators.documents.stream().filter(d -> !"Namespace".equals(d.path("kind").asText()))
                .forEach(d -> assertThat(d.path("metadata").path("namespace").asText()).isEqualTo("driploop"));
    }

    /** The partition count the topic Job creates topics with. */
    private int topicPartitions() {
        JsonNode value = environment(onlyContainer(base.get("Job", "driploop-kafka-topics"))).get("TOPIC_PARTITIONS");
        return Integer.parseInt(value.path("value").asText());
    }

    private static void assertProbe(JsonNode probe, String path) {
        assertThat(probe.path("httpGet").path("path").asText()).isEqualTo(path);
        assertThat(probe.path("httpGet").path("port").asText()).isEqualTo("http");
    }

    private static JsonNode onlyContainer(JsonNode workload) {
        JsonNode containers = workload.path("spec").path("template").path("spec").path("containers");
        assertThat(containers.size()).as(workload.path("metadata").path("name").asText() + " containers").isEqualTo(1);
        return containers.get(0);
    }

    /**
     * A container's environment: its {@code env} entries, and each key of the ConfigMaps of its {@code envFrom}
     * (as an {@code env} entry with a {@code value}); a ConfigMap that the base does not hold fails.
     */
    private Map<String, JsonNode> environment(JsonNode container) {
        Map<String, JsonNode> env = new LinkedHashMap<>();
        for (JsonNode source : container.path("envFrom")) {
            String name = source.path("configMapRef").path("name").asText();
            assertThat(name).as("envFrom only from ConfigMaps (secrets are named one by one)").isNotBlank();
            base.get("ConfigMap", name).path("data").fields().forEachRemaining(e -> {
                assertThat(SECRETS).as("a secret in ConfigMap " + name).doesNotContain(e.getKey());
                env.put(e.getKey(), Yaml.MAPPER.createObjectNode().put("name", e.getKey()).put("value", e.getValue().asText()));
            });
        }
        for (JsonNode entry : container.path("env")) {
            env.put(entry.path("name").asText(), entry);
        }
        return env;
    }
}
