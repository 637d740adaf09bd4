package net.driploop.system.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import net.driploop.infra.HttpReceiver;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Services killed with {@code kill -9}, or stopped with SIGTERM as a rolling deploy does, while a stream of activity
 * flows through them, then started again with the same configuration: every user still gets their mail (or webhook
 * call), and nobody gets it twice.
 */
@E2eStack
class CrashRecoveryE2eTest {

    private static final int USERS = 120;
    /** Pings per second from the client backend: slow enough that the stream outlasts both kills. */
    private static final int RATE = 20;
    /**
     * Sends the email worker can have between SMTP and their recorded outcome at once: one per pooled SMTP
     * connection ({@code quarkus.mailer.max-pool-size}, 16), whose outcomes it records in shared transactions.
     */
    private static final int MAX_IN_FLIGHT_SENDS = 16;

    private static final int GRACEFUL_USERS = 40;
    /** Slower: the stream must still run when the first mails are out. */
    private static final int GRACEFUL_RATE = 8;
    /** Users of the webhook restart: a receiver answering in 400 ms, four at once, keeps up with the stream. */
    private static final int WEBHOOK_USERS = 24;
    /** Users of the ingest restart, one call each, at {@link #INGEST_RATE} calls/s: the stream outlasts the 5 s delay. */
    private static final int INGEST_USERS = 160;
    private static final int INGEST_RATE = 20;
    private static final Duration STREAM_DEADLINE = Duration.ofSeconds(60);
    private static final String PING_FLOW = """
            {'name': 'Ping mail', 'trigger': {'type': 'activity.event', 'event': 'ping'}, 'reentry': 'always',
             'steps': [{'id': 'mail', 'type': 'email', 'subject': 'Ping {event.metadata.n}',
                        'text': 'Ping {event.metadata.n} for {user.externalUserId}'}]}""";

    private final SystemStack stack;

    CrashRecoveryE2eTest(SystemStack stack) {
        this.stack = stack;
    }

    @Test
    void killingTheEmailWorkerAndTheFlowEngineMidStreamLosesNothingAndSendsNothingTwice() throws Exception {
        App app = stack.newApp("crash");
        app.activeFlow(PING_FLOW);
        List<String> users = register(app, USERS);
        Stream stream = Stream.start(app, users, RATE);

        ServiceProcess email = stack.service(SystemStack.EMAIL);
        ServiceProcess flows = stack.service(SystemStack.FLOWS);
        // the flow engine dies while events are still arriving
        await().atMost(STREAM_DEADLINE).until(() -> stream.sent() >= USERS / 2);
        int sentAtEngineKill = stream.sent();
        flows.kill();
        flows.start();
        // the email worker dies while it is sending (its backlog grows behind it meanwhile)
        await().atMost(STREAM_DEADLINE).until(() -> mailsOf(app, users) >= 20);
        int mailsAtEmailKill = mailsOf(app, users);
        email.kill();
        email.start();
        awaitReadyAndSent(stream, email, flows);
        assertThat(sentAtEngineKill).as("the flow engine was killed mid-stream").isLessThan(USERS);
        assertThat(mailsAtEmailKill).as("the email worker was killed mid-stream").isLessThan(USERS);

        // a send cut short by the kill is never repeated (at most once) and its outcome is reported, not lost
        Map<String, JsonNode> executions = awaitEveryDeliveryRecorded(app, users);
        List<String> uncertain = assertOneMailEachOrUncertain(app, users, executions);
        // only the sends in flight at the kill can be uncertain
        assertThat(uncertain).as("uncertain deliveries").hasSizeLessThanOrEqualTo(MAX_IN_FLIGHT_SENDS);
        System.out.printf("kill -9: %d users, flow engine killed after %d pings, email worker after %d mails, "
                + "%d uncertain deliveries %s%n", USERS, sentAtEngineKill, mailsAtEmailKill, uncertain.size(), uncertain);
    }

    @Test
    void restartingTheFlowEngineGracefullyMidStreamSendsEveryMailExactlyOnce() throws Exception {
        App app = stack.newApp("rolling restart");
        app.activeFlow(PING_FLOW);
        List<String> users = register(app, GRACEFUL_USERS);
        // the first user's mail first, so that mails and delivery results are flowing when the stream starts
        app.activityRetried(users.get(0), "ping", Map.of("n", 0), "ping-0").expect(201);
        await().atMost(STREAM_DEADLINE).until(() -> mailsOf(app, users) >= 1);
        Stream stream = Stream.start(app, users, GRACEFUL_RATE);

        ServiceProcess flows = stack.service(SystemStack.FLOWS);
        // SIGTERM, as a rolling deploy stops a pod, while events arrive and delivery results come back: what is in
        // flight must be finished or left for the next instance, not dead-lettered
        restartGracefullyMidStream(flows, stream, stream::sent, GRACEFUL_USERS);

        Map<String, JsonNode> executions = awaitEveryDeliveryRecorded(app, users);
        assertThat(assertOneMailEachOrUncertain(app, users, executions)).as("uncertain deliveries").isEmpty();
    }

    @Test
    void restartingTheEmailWorkerGracefullyMidStreamSendsEveryMailExactlyOnceAndReportsEachSent() throws Exception {
        App app = stack.newApp("rolling email restart");
        app.activeFlow(PING_FLOW);
        List<String> users = register(app, GRACEFUL_USERS);
        Stream stream = Stream.start(app, users, GRACEFUL_RATE);

        ServiceProcess email = stack.service(SystemStack.EMAIL);
        // SIGTERM while mails go out: a send under way is finished and recorded, a command not yet claimed is left
        // for the next instance; none is reported uncertain, none is sent twice
        restartGracefullyMidStream(email, stream, () -> mailsOf(app, users), GRACEFUL_USERS);

        Map<String, JsonNode> executions = awaitEveryDeliveryRecorded(app, users);
        assertThat(assertOneMailEachOrUncertain(app, users, executions)).as("uncertain deliveries").isEmpty();
    }

    @Test
    void restartingTheWebhookWorkerGracefullyWhileReceiversAnswerCallsEachOnceAndRecordsEachDelivered() throws Exception {
        App app = stack.newApp("rolling webhook restart");
        HttpReceiver receiver = stack.receiver();
        String base = "/e2e/" + app.id() + "/ping/";
        app.activeFlow("""
                {'name': 'Ping hook', 'trigger': {'type': 'activity.event', 'event': 'ping'}, 'reentry': 'always',
                 'steps': [{'id': 'notify', 'type': 'webhook', 'url': '%s'}]}"""
                .formatted(receiver.url(base + "{user.externalUserId}")));
        List<String> users = register(app, WEBHOOK_USERS);
        ServiceProcess webhooks = stack.service(SystemStack.WEBHOOK);
        // a receiver that takes its time, so that calls are under way when SIGTERM arrives
        receiver.answerAfter(400);
        try {
            Stream stream = Stream.start(app, users, GRACEFUL_RATE);
            restartGracefullyMidStream(webhooks, stream, () -> callsOf(receiver, base), WEBHOOK_USERS);

            // a call under way at SIGTERM is finished and recorded, not made again by the next instance
            for (String user : users) {
                await("webhook of " + user + " delivered").atMost(STREAM_DEADLINE).until(
                        () -> Trace.delivery(app.execution(user), "notify").path("status").asText(), "sent"::equals);
            }
            for (String user : users) {
                assertThat(receiver.received(base + user)).as("calls for %s", user).hasSize(1);
            }
        } finally {
            receiver.answerAfter(0);
        }
    }

    @Test
    void stoppingTheIngestApiTurnsItUnreadyWhileItStillAnswersAndLosesNoAcceptedCall() throws Exception {
        App app = stack.newApp("rolling ingest restart");
        app.activeFlow(PING_FLOW);
        List<String> users = register(app, INGEST_USERS);
        ServiceProcess ingest = stack.service(SystemStack.INGEST);
        Map<String, String> outcomes = new ConcurrentHashMap<>();
        AtomicBoolean unready = new AtomicBoolean();
        AtomicInteger answeredWhileUnready = new AtomicInteger();
        // a client backend pinging at a steady pace, one user per call, keeping what each call got
        CompletableFuture<Void> client = CompletableFuture.runAsync(() -> {
            long start = System.nanoTime();
            for (int i = 0; i < users.size(); i++) {
                pace(start, i, INGEST_RATE);
                String outcome;
                try {
                    JsonHttp.Response response = app.activity(users.get(i), "ping", Map.of("n", i));
                    outcome = response.status() + " " + response.body().path("error").path("code").asText();
                    if (response.status() == 201 && unready.get()) {
                        answeredWhileUnready.incrementAndGet();
                    }
                } catch (UncheckedIOException e) {
                    outcome = e.getCause() instanceof ConnectException ? "refused" : "cut: " + e.getCause();
                }
                outcomes.put(users.get(i), outcome);
            }
        });
        await().atMost(STREAM_DEADLINE).until(() -> outcomes.size() >= 10);

        // SIGTERM, as Kubernetes sends it when it also takes the pod out of the Service's endpoints
        ingest.terminate();
        await("readiness DOWN").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .ignoreExceptionsMatching(e -> e instanceof IOException).until(() -> ingest.readyStatus() == 503);
        unready.set(true);
        ingest.stop(Duration.ofSeconds(30));
        ingest.restart(SystemStack.READY_DEADLINE);
        client.get(2, TimeUnit.MINUTES);

        Map<String, Long> byOutcome = new java.util.TreeMap<>(outcomes.values().stream()
                .collect(java.util.stream.Collectors.groupingBy(o -> o, java.util.stream.Collectors.counting())));
        System.out.printf("ingest SIGTERM: %d calls, %d answered 201 while unready; outcomes %s%n", users.size(),
                answeredWhileUnready.get(), byOutcome);
        // calls were still answered while the load balancer was being told to route elsewhere
        assertThat(answeredWhileUnready.get()).as("calls answered 201 after readiness turned DOWN").isPositive();
        // no call failed because the service was stopping under it: no 500, no 503 from a pool closed mid-call
        assertThat(outcomes.values()).as("what the calls got").noneMatch(o -> o.startsWith("500")
                || o.contains("service_unavailable"));
        // every accepted call, including those answered while stopping, reaches its user
        List<String> accepted = users.stream().filter(u -> outcomes.get(u).startsWith("201")).toList();
        assertThat(accepted.size()).as("calls accepted").isGreaterThan(answeredWhileUnready.get());
        await("a mail for every accepted call").atMost(STREAM_DEADLINE).until(() -> {
            Map<String, Integer> counts = Mailbox.countsByRecipient();
            return accepted.stream().allMatch(u -> counts.getOrDefault(app.email(u), 0) >= 1);
        });
        Map<String, Integer> counts = Mailbox.countsByRecipient();
        for (String user : users) {
            int mails = counts.getOrDefault(app.email(user), 0);
            if (accepted.contains(user)) {
                assertThat(mails).as("mails to %s, accepted", user).isEqualTo(1);
            } else if (!outcomes.get(user).startsWith("cut")) {
                // refused, or answered 503 by the stopping server: nothing was changed
                assertThat(mails).as("mails to %s, %s", user, outcomes.get(user)).isZero();
            }
        }
    }

    private static int callsOf(HttpReceiver receiver, String pathPrefix) {
        return (int) receiver.all().stream().filter(call -> call.path().startsWith(pathPrefix)).count();
    }

    private List<String> register(App app, int count) throws Exception {
        List<String> users = IntStream.range(0, count).mapToObj("u%03d"::formatted).toList();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> registrations = new ArrayList<>();
            for (String user : users) {
                registrations.add(clients.submit(() -> app.register(user, Map.of()).expect(201)));
            }
            for (Future<?> registration : registrations) {
                registration.get(60, TimeUnit.SECONDS);
            }
        } finally {
            clients.shutdown();
        }
        return users;
    }

    /** One ping per user, paced, from a client backend that does not care what happens downstream. */
    private record Stream(AtomicInteger counter, CompletableFuture<Void> done) {

        static Stream start(App app, List<String> users, int rate) {
            AtomicInteger sent = new AtomicInteger();
            CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
                long start = System.nanoTime();
                for (int i = 0; i < users.size(); i++) {
                    pace(start, i, rate);
                    app.activityRetried(users.get(i), "ping", Map.of("n", i), "ping-" + i).expect(201);
                    sent.incrementAndGet();
                }
            });
            return new Stream(sent, done);
        }

        int sent() {
            return counter.get();
        }
    }

    /** Parks until call {@code i} of a stream of {@code rate} calls/s begun at {@code start} (nanoTime) is due. */
    private static void pace(long start, int i, int rate) {
        long wait = start + TimeUnit.SECONDS.toNanos(i) / rate - System.nanoTime();
        if (wait > 0) {
            // pacing the load, not waiting for a result
            LockSupport.parkNanos(wait);
        }
    }

    /**
     * Stops {@code service} with SIGTERM, as a rolling deploy stops a pod, once {@code progress} (pings sent, mails or
     * calls received) reaches a quarter of {@code total}; starts it again and waits until it is ready and the stream
     * sent. Checks that the stop came while the stream was still running.
     */
    private static void restartGracefullyMidStream(ServiceProcess service, Stream stream, IntSupplier progress,
            int total) throws Exception {
        await().atMost(STREAM_DEADLINE).until(() -> progress.getAsInt() >= total / 4);
        int atStop = progress.getAsInt();
        service.stop(Duration.ofSeconds(30));
        service.start();
        awaitReadyAndSent(stream, service);
        assertThat(atStop).as("the stream was still running").isLessThan(total);
    }

    /** Waits until the restarted services are ready and the stream has been sent. */
    private static void awaitReadyAndSent(Stream stream, ServiceProcess... restarted) throws Exception {
        List<CompletableFuture<?>> waits = new ArrayList<>(List.of(stream.done()));
        for (ServiceProcess service : restarted) {
            waits.add(CompletableFuture.runAsync(() -> service.awaitReady(SystemStack.READY_DEADLINE)));
        }
        CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).get(3, TimeUnit.MINUTES);
    }

    /**
     * Waits until the worker's result for every user's mail step is on their execution, sent or uncertain;
     * returns each user's executions as last read.
     */
    private static Map<String, JsonNode> awaitEveryDeliveryRecorded(App app, List<String> users) {
        Map<String, JsonNode> settled = new HashMap<>();
        try {
            await("every user's delivery recorded").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        for (String user : users) {
                            if (!settled.containsKey(user)) {
                                JsonNode executions = JsonHttp.JSON.valueToTree(app.executions(user));
                                if (isRecorded(executions)) {
                                    settled.put(user, executions);
                                }
                            }
                        }
                        return settled.size() == users.size();
                    });
        } catch (ConditionTimeoutException e) {
            Map<String, Integer> counts = Mailbox.countsByRecipient();
            List<String> open = users.stream().filter(u -> !settled.containsKey(u)).toList();
            StringBuilder detail = new StringBuilder(open.size() + " users without a recorded delivery: " + open);
            for (String user : open.subList(0, Math.min(5, open.size()))) {
                detail.append("\n").append(user).append(": ").append(counts.getOrDefault(app.email(user), 0))
                        .append(" mail(s), executions ").append(app.executions(user));
            }
            throw new AssertionError(detail.toString(), e);
        }
        return settled;
    }

    private static boolean isRecorded(JsonNode executions) {
        if (executions.isEmpty()) {
            return false;
        }
        JsonNode delivery = Trace.delivery(executions.get(0), "mail");
        return delivery.path("status").asText().equals("sent") || delivery.path("detail").path("uncertain").asBoolean();
    }

    /**
     * Checks that every user has one execution and at most one mail, exactly one when the delivery was reported
     * sent, each mail the one of the user's own ping; returns the users whose delivery was reported uncertain.
     */
    private static List<String> assertOneMailEachOrUncertain(App app, List<String> users,
            Map<String, JsonNode> executionsByUser) {
        Map<String, Integer> counts = Mailbox.countsByRecipient();
        List<String> uncertain = new ArrayList<>();
        for (String user : users) {
            int mails = counts.getOrDefault(app.email(user), 0);
            assertThat(mails).as("mails to %s", user).isLessThanOrEqualTo(1);
            JsonNode executions = executionsByUser.get(user);
            // a redelivered event after a restart starts nothing twice
            assertThat(executions).as("executions of %s", user).hasSize(1);
            JsonNode delivery = Trace.delivery(executions.get(0), "mail");
            if (delivery.path("status").asText().equals("sent")) {
                assertThat(mails).as("mails to %s", user).isEqualTo(1);
            } else {
                assertThat(delivery.path("detail").path("uncertain").asBoolean()).as("delivery to %s: %s", user, delivery)
                        .isTrue();
                uncertain.add(user);
            }
        }
        List<String> addresses = users.stream().map(app::email).toList();
        for (Mailbox.Mail mail : Mailbox.all()) {
            int n = addresses.indexOf(mail.to().get(0));
            if (n >= 0) {
                assertThat(mail.text()).isEqualTo("Ping %d for %s".formatted(n, users.get(n)));
            }
        }
        return uncertain;
    }

    private static int mailsOf(App app, List<String> users) {
        Map<String, Integer> counts = Mailbox.countsByRecipient();
        return users.stream().mapToInt(u -> counts.getOrDefault(app.email(u), 0)).sum();
    }
}
