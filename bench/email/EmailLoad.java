import com.fasterxml.jackson.databind.ObjectMapper;
import net.driploop.model.CloudEventHeaders;
import net.driploop.model.Ids;
import net.driploop.model.Json;
import net.driploop.model.Timestamps;
import net.driploop.model.Topics;
import net.driploop.model.command.CommandTypes;
import net.driploop.model.command.SendEmail;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Publishes SendEmail commands to driploop.email-commands.v1 as flow-engine does (key {appId}:{externalUserId},
 * CloudEvents headers), for bench/email.sh. Run with the local-infra classpath:
 * {@code java -cp <classpath> bench/email/EmailLoad.java <bootstrap> <count> <users> <tag> <appId>}.
 * Command i goes to user {@code i % users} (so each user's commands are spread over the run, in order); its
 * execution id is {@code exe_<tag>_<i>}, so the Message-ID the worker derives names the run. Prints the
 * time it started (epoch ms) and the milliseconds it took until every record was acknowledged.
 */
public class EmailLoad {

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: EmailLoad <bootstrap> <count> <users> <tag> <appId>");
            System.exit(2);
        }
        String bootstrap = args[0];
        int count = Integer.parseInt(args[1]);
        int users = Integer.parseInt(args[2]);
        String tag = args[3];
        String appId = args[4];
        ObjectMapper json = Json.newMapper();
        Map<String, Object> props = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 131072,
                ProducerConfig.CLIENT_ID_CONFIG, "bench-email-load");
        long startMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                String user = "bench_u%06d".formatted(i % users);
                String email = "u%06d@bench.example".formatted(i % users);
                String executionId = "exe_%s_%07d".formatted(tag, i);
                Map<String, Object> data = Map.of(
                        "user", Map.of("email", email, "metadata", Map.of("name", "User " + (i % users), "plan", "pro")),
                        "event", Map.of("name", "bench", "n", i));
                SendEmail command = new SendEmail(CommandTypes.commandId(executionId, "mail"), appId, user,
                        "flw_bench", 1, executionId, "mail", email, "Your {user.metadata.plan} plan, {user.metadata.name}",
                        "Hi {user.metadata.name}, this is email {event.n} of the bench.",
                        "<p>Hi {user.metadata.name}</p><p>email {event.n} of the bench</p>", data, false, null,
                        Ids.newCorrelationId(), Timestamps.now());
                ProducerRecord<String, String> record = new ProducerRecord<>(Topics.EMAIL_COMMANDS,
                        Topics.userKey(appId, user), json.writeValueAsString(command));
                Headers headers = record.headers();
                header(headers, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
                header(headers, CloudEventHeaders.ID, Ids.newId(Ids.EVENT));
                header(headers, CloudEventHeaders.TYPE, CommandTypes.SEND_EMAIL);
                header(headers, CloudEventHeaders.SOURCE, CloudEventHeaders.source("bench"));
                header(headers, CloudEventHeaders.TIME, Timestamps.format(Timestamps.now()));
                header(headers, CloudEventHeaders.SUBJECT, user);
                header(headers, CloudEventHeaders.CORRELATION_ID, command.correlationId());
                header(headers, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
                producer.send(record, (metadata, error) -> {
                    if (error != null) {
                        System.err.println("send failed: " + error);
                        System.exit(1);
                    }
                });
            }
            producer.flush();
        }
        System.out.println(startMillis + " " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private static void header(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
