package net.driploop.infra;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/** The infrastructure of a local run (Kafka, PostgreSQL, an SMTP catcher), each only when asked by a flag. */
public final class LocalStack {

    private static final int KAFKA_PARTITIONS = 4;
    // JUL keeps loggers weakly: hold them so that the levels stick
    private static final List<Logger> QUIET = List.of(Logger.getLogger("kafka"), Logger.getLogger("org.apache.kafka"),
            Logger.getLogger("io.zonky"));

    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    public static void main(String[] args) throws InterruptedException {
        List<String> flags = Arrays.asList(args);
        List<String> unknown = flags.stream().filter(f -> !List.of("--kafka", "--postgres", "--smtp").contains(f)).toList();
        if (!unknown.isEmpty()) {
            System.err.println("unknown arguments " + unknown + "; usage: LocalStack [--kafka] [--postgres] [--smtp]");
            System.exit(2);
        }
        QUIET.forEach(logger -> logger.setLevel(Level.WARNING));
        Path dataDir = Path.of(env("DRIPLOOP_LOCAL_DATA_DIR", "deploy/local/.data")).toAbsolutePath();

        LocalStack stack = new LocalStack();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.stop();
            stopped.countDown();
        }, "localstack-stop"));
        try {
            if (flags.contains("--postgres")) {
                stack.startPostgres(dataDir.resolve("postgres"), intEnv("DRIPLOOP_LOCAL_PG_PORT", 5432));
            }
            if (flags.contains("--kafka")) {
                stack.startKafka(dataDir.resolve("kafka"), intEnv("DRIPLOOP_LOCAL_KAFKA_PORT", 9092));
            }
            if (flags.contains("--smtp")) {
                stack.startSmtp(dataDir.resolve("mail"), intEnv("DRIPLOOP_LOCAL_SMTP_PORT", 2525));
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.out.println("LOCALSTACK READY");
        System.out.flush();
        stopped.await();
    }

    private void startPostgres(Path dir, int port) {
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(dir, port);
        started.push(postgres);
        System.out.println("postgres " + postgres.reactiveUrl() + " (user " + EmbeddedPostgresServer.USER
                + ", data " + dir + ")");
    }

    private void startKafka(Path dir, int port) {
        EmbeddedKafka kafka = new EmbeddedKafka(dir, port, KAFKA_PARTITIONS).start();
        started.push(kafka);
        kafka.createTopics(TestInfra.TOPICS);
        System.out.println("kafka " + kafka.bootstrapServers() + " (topics " + String.join(",", TestInfra.TOPICS)
                + ", data " + dir + ")");
    }

    private void startSmtp(Path mailDir, int port) {
        GreenMail greenMail = new PromptGreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
                .withConfiguration(GreenMailConfiguration.aConfig().withDisabledAuthentication());
        greenMail.start();
        MailCatcher catcher = new MailCatcher(greenMail, mailDir);
        started.push(() -> {
            catcher.interrupt();
            greenMail.stop();
        });
        catcher.start();
        System.out.println("smtp 127.0.0.1:" + port + " (caught mail: " + mailDir + "/*.eml)");
    }

    private synchronized void stop() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                System.err.println("stop failed: " + e);
            }
        }
        System.out.println("LOCALSTACK STOPPED");
        System.out.flush();
    }

    /** Writes each message GreenMail receives to an .eml file and prints one line about it. */
    private static final class MailCatcher extends Thread {

        private final GreenMail greenMail;
        private final Path dir;
        private final Set<MimeMessage> seen = Collections.newSetFromMap(new IdentityHashMap<>());

        MailCatcher(GreenMail greenMail, Path dir) {
            super("mail-catcher");
            setDaemon(true);
            this.greenMail = greenMail;
            this.dir = dir;
        }

        @Override
        public void run() {
            try {
                Files.createDirectories(dir);
                while (!isInterrupted()) {
                    if (greenMail.waitForIncomingEmail(1000, seen.size() + 1)) {
                        for (MimeMessage message : greenMail.getReceivedMessages()) {
                            if (seen.add(message)) {
                                save(message, seen.size());
                            }
                        }
                    }
                }
            } catch (IOException e) {
                System.err.println("mail catcher stopped: " + e);
            } catch (IllegalStateException e) {
                // GreenMail was stopped while we waited
            }
        }

        private void save(MimeMessage message, int n) {
            Path file = dir.resolve("%d-%06d.eml".formatted(System.currentTimeMillis(), n));
            try (OutputStream out = Files.newOutputStream(file)) {
                message.writeTo(out);
                System.out.println("mail from " + addresses(message.getFrom()) + " to "
                        + addresses(message.getAllRecipients()) + " \"" + message.getSubject() + "\" -> " + file);
            } catch (IOException | MessagingException e) {
                System.err.println("could not save mail: " + e);
            }
        }

        private static String addresses(Address[] addresses) {
            return addresses == null ? "-" : Arrays.stream(addresses).map(Address::toString).collect(Collectors.joining(","));
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static int intEnv(String name, int fallback) {
        return Integer.parseInt(env(name, Integer.toString(fallback)));
    }
}
