package net.driploop.email;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.mail.Address;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import net.driploop.infra.TestInfra;
import net.driploop.infra.TestSmtp;
import net.driploop.infra.TopicReader;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.EventTypes;
import net.driploop.model.Ids;
import net.driploop.model.Json;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.DeliveryResult;
import net.driploop.model.command.SendEmail;
import net.driploop.model.event.UserDeleted;
import net.driploop.model.event.UserRegistered;
import net.driploop.model.event.UserSnapshot;
import net.driploop.model.log.AutomationLogEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Commands, events and readers for the email-worker tests: what flow-engine and ingest-api would publish. */
public final class Fixtures {

    public static final ObjectMapper JSON = Json.newMapper();
    public static final Duration DEADLINE = Duration.ofSeconds(30);

    private static KafkaProducer<String, String> producer;

    private Fixtures() {
    }

    /** A user of a fresh app with a unique address, so that tests sharing servers never see each other's mail. */
    public record User(String appId, String externalUserId, String email) {

        public static User fresh() {
            String unique = UUID.randomUUID().toString().substring(0, 8);
            return new User("app_" + unique, "user_" + unique, "user-" + unique + "@example.com");
        }
    }

    /** A command of one execution's email step, with the renewal template of DESIGN.md. */
    public static SendEmail command(User user, String flowId, String executionId, String stepId, boolean sendOnce,
            Integer maxCount) {
        Map<String, Object> data = Map.of(
                "user", Map.of("email", user.email(), "metadata", Map.of("name", "Ada", "plan", "pro")),
                "event", Map.of("name", "renewal_due"),
                "purchase", Map.of("amount", 12));
        return new SendEmail(CommandTypes.commandId(executionId, stepId), user.appId(), user.externalUserId(), flowId, 1,
                executionId, stepId, user.email(), "Your {user.metadata.plan} plan renews soon",
                "Hi {user.metadata.name}, your plan renews.", "<p>Hi {user.metadata.name}</p>", data, sendOnce,
                maxCount, Ids.newCorrelationId(), Timestamps.now());
    }

    /** A command of a new execution of flow {@code flw_test}, step {@code mail}, with no limits. */
    public static SendEmail command(User user) {
        return command(user, "flw_test", Ids.newId(Ids.EXECUTION), "mail", false, null);
    }

    /** Publishes the command as flow-engine does: keyed by user, CloudEvents headers; returns its partition. */
    public static int publish(SendEmail command) {
        return send(Topics.EMAIL_COMMANDS, Topics.userKey(command.appId(), command.externalUserId()), CommandTypes.SEND_EMAIL,
                command.correlationId(), command.externalUserId(), write(command));
    }

    /** Publishes any value on the command topic, with the headers of a command. */
    public static void publishRaw(String key, String value) {
        send(Topics.EMAIL_COMMANDS, key, CommandTypes.SEND_EMAIL, Ids.newCorrelationId(), key, value);
    }

    /** Publishes a user.deleted event as ingest-api does. */
    public static void publishDeleted(User user) {
        UserDeleted event = new UserDeleted(user.appId(), user.externalUserId(), Ids.newId(Ids.USER), true, false,
                Timestamps.now());
        send(Topics.EVENTS, Topics.userKey(user.appId(), user.externalUserId()), EventTypes.USER_DELETED,
                Ids.newCorrelationId(), user.externalUserId(), write(event));
    }

    /** Publishes a user.registered event as ingest-api does when a deleted user's id is registered again. */
    public static void publishRegistered(User user) {
        Instant now = Timestamps.now();
        UserRegistered event = new UserRegistered(user.appId(), user.externalUserId(), new UserSnapshot(
                Ids.newId(Ids.USER), user.externalUserId(), user.email(), Map.of(), UserSnapshot.ACTIVE, now, now, null,
                null), true, now);
        send(Topics.EVENTS, Topics.userKey(user.appId(), user.externalUserId()), EventTypes.USER_REGISTERED,
                Ids.newCorrelationId(), user.externalUserId(), write(event));
    }

    private static synchronized int send(String topic, String key, String type, String correlationId, String subject,
            String value) {
        if (producer == null) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    TestInfra.kafka().bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer());
        }
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, value);
        header(record, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        header(record, CloudEventHeaders.ID, Ids.newId(Ids.EVENT));
        header(record, CloudEventHeaders.TYPE, type);
        header(record, CloudEventHeaders.SOURCE, CloudEventHeaders.source("test"));
        header(record, CloudEventHeaders.TIME, Timestamps.format(Timestamps.now()));
        header(record, CloudEventHeaders.SUBJECT, subject);
        header(record, CloudEventHeaders.CORRELATION_ID, correlationId);
        header(record, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        try {
            return producer.send(record).get(10, TimeUnit.SECONDS).partition();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void header(ProducerRecord<String, String> record, String name, String value) {
        record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    public static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Mail that GreenMail received for this address. */
    public static List<MimeMessage> mailTo(String address) {
        return TestSmtp.received().stream().filter(m -> {
            try {
                Address[] to = m.getAllRecipients();
                return to != null && Arrays.stream(to).anyMatch(a -> a instanceof InternetAddress internet
                        && address.equalsIgnoreCase(internet.getAddress()));
            } catch (Exception e) {
                return false;
            }
        }).toList();
    }

    /** A reader of delivery results from the start of the topic. */
    public static TopicReader results() {
        return new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.DELIVERY_RESULTS);
    }

    /** A reader of automation-log entries from the start of the topic. */
    public static TopicReader logs() {
        return new TopicReader(TestInfra.kafka().bootstrapServers(), Topics.AUTOMATION_LOG);
    }

    /** The delivery results published for one command, in order. */
    public static List<DeliveryResult> resultsFor(TopicReader reader, String commandId) {
        return reader.poll().stream().map(m -> read(m.value(), DeliveryResult.class))
                .filter(r -> commandId.equals(r.commandId())).toList();
    }

    /** The automation-log entries published for one command's correlationId, in order. */
    public static List<AutomationLogEntry> logsFor(TopicReader reader, String correlationId) {
        return reader.poll(m -> correlationId.equals(m.key())).stream()
                .map(m -> read(m.value(), AutomationLogEntry.class)).toList();
    }

    public static <T> T read(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
