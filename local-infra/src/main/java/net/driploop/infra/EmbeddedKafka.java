package net.driploop.infra;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A real Apache Kafka broker in KRaft combined mode (broker and controller in one node), inside this JVM.
 * It can be stopped and started again on the same port and log directory, which is how tests show that
 * nothing is lost while the broker is down.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private final Path logDir;
    private final int port;
    private final int controllerPort;
    private final int partitions;
    private KafkaRaftServer server;

    /**
     * @param logDir     where the broker keeps its data (formatted on first start)
     * @param port       client port on 127.0.0.1 (0 = pick a free one)
     * @param partitions partitions of auto-created topics
     */
    public EmbeddedKafka(Path logDir, int port, int partitions) {
        this.logDir = logDir;
        this.port = port == 0 ? Ports.free() : port;
        this.controllerPort = Ports.free();
        this.partitions = partitions;
    }

    /** A broker with a fresh temporary log directory and a free port. */
    public static EmbeddedKafka temporary() {
        try {
            return new EmbeddedKafka(Files.createTempDirectory("driploop-kafka"), 0, 4);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized EmbeddedKafka start() {
        if (server != null) {
            return this;
        }
        Properties props = properties();
        try {
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                Files.createDirectories(logDir);
                Path config = logDir.resolveSibling(logDir.getFileName() + ".properties");
                try (OutputStream out = Files.newOutputStream(config)) {
                    props.store(out, "driploop embedded kafka");
                }
                ByteArrayOutputStream output = new ByteArrayOutputStream();
                int rc = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c",
                        config.toString(), "--ignore-formatted"}, new PrintStream(output, true, StandardCharsets.UTF_8));
                if (rc != 0) {
                    throw new IllegalStateException("kafka storage format failed: " + output);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KafkaRaftServer raftServer = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        raftServer.startup();
        server = raftServer;
        return this;
    }

    /** Stops the broker; its data stays for a later {@link #start()}. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Creates the topics (if missing) with this broker's partition count. */
    public void createTopics(Collection<String> names) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = names.stream().filter(n -> !existing.contains(n))
                    .map(n -> new NewTopic(n, partitions, (short) 1)).toList();
            try {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not create topics " + names, e);
        }
    }

    @Override
    public void close() {
        stop();
    }

    private Properties properties() {
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("num.partitions", Integer.toString(partitions));
        props.put("auto.create.topics.enable", "true");
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("log.flush.interval.messages", "10000");
        props.put("unstable.api.versions.enable", "false");
        return props;
    }
}
