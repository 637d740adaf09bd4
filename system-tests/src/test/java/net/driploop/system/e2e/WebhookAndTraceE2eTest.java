package net.driploop.system.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import net.driploop.infra.HttpReceiver;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Webhooks as a receiver sees them (retried, signed), and the trace an on-call engineer reads for one API call. */
@E2eStack
class WebhookAndTraceE2eTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final SystemStack stack;

    WebhookAndTraceE2eTest(SystemStack stack) {
        this.stack = stack;
    }

    @Test
    void aWebhookAnswered500IsRetriedUntil200AndEveryAttemptCarriesAValidSignature() {
        App app = stack.newApp("webhook");
        HttpReceiver receiver = stack.receiver();
        String path = "/e2e/" + app.id() + "/upgraded/ivy";
        receiver.script(path, HttpReceiver.Reply.of(500), HttpReceiver.Reply.of(500), HttpReceiver.Reply.of(200));
        app.activeFlow("""
                {'name': 'Upgrade hook', 'trigger': {'type': 'activity.event', 'event': 'upgraded'},
                 'steps': [{'id': 'notify', 'type': 'webhook', 'url': '%s',
                            'headers': {'X-Plan': '{event.metadata.plan}'}}]}"""
                .formatted(receiver.url("/e2e/" + app.id() + "/upgraded/{user.externalUserId}")));
        app.register("ivy", Map.of("name", "Ivy")).expect(201);

        JsonHttp.Response upgraded = app.activity("ivy", "upgraded", Map.of("plan", "team")).expect(201);

        List<HttpReceiver.Received> calls = await().atMost(DEADLINE).until(() -> receiver.received(path),
                list -> list.size() >= 3);
        String executionId = app.execution("ivy").path("id").asText();
        String secret = app.webhookSecret();
        assertThat(secret).startsWith("whsec_");
        for (HttpReceiver.Received call : calls) {
            assertThat(call.method()).isEqualTo("POST");
            // the same id on every attempt, so that the receiver can dedupe
            assertThat(call.header("webhook-id")).isEqualTo(executionId + ":notify");
            assertThat(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(call.header("webhook-timestamp"))))
                    .isLessThan(120);
            assertThat(HttpReceiver.hasValidSignature(secret, call)).as("signature of %s", call.header("webhook-signature"))
                    .isTrue();
            assertThat(call.header("x-plan")).isEqualTo("team");
            JsonNode body = JsonHttp.parse(call.body());
            assertThat(body.path("correlationId").asText()).isEqualTo(upgraded.correlationId());
            assertThat(body.path("app").path("id").asText()).isEqualTo(app.id());
            assertThat(body.path("user").path("externalUserId").asText()).isEqualTo("ivy");
            assertThat(body.path("event").path("name").asText()).isEqualTo("upgraded");
            assertThat(body.path("event").path("metadata").path("plan").asText()).isEqualTo("team");
        }
        assertThat(calls.get(0).body()).isEqualTo(calls.get(2).body());

        List<JsonNode> trace = await().atMost(DEADLINE).until(() -> stack.trace(upgraded.correlationId()),
                entries -> Trace.types(entries).contains("webhook.delivered"));
        assertThat(Trace.all(trace, "webhook.failed")).hasSize(2)
                .allSatisfy(e -> assertThat(e.path("detail").path("httpStatus").asInt()).isEqualTo(500));
        assertThat(Trace.first(trace, "webhook.delivered").path("detail").path("attempt").asInt()).isEqualTo(3);
        // exactly three attempts: a 200 ends the retries
        assertThat(receiver.received(path)).hasSize(3);
        await().atMost(DEADLINE).until(() -> Trace.delivery(app.execution("ivy"), "notify").path("status").asText(),
                "sent"::equals);
    }

    @Test
    void theTraceOfOneCallRunsThroughEveryServiceInOrder() {
        App app = stack.newApp("trace");
        HttpReceiver receiver = stack.receiver();
        String path = "/e2e/" + app.id() + "/registered";
        app.activeFlow("""
                {'name': 'Welcome and CRM', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'welcome', 'type': 'email', 'subject': 'Welcome', 'text': 'Hi'},
                           {'id': 'crm', 'type': 'webhook', 'url': '%s'}]}""".formatted(receiver.url(path)));

        JsonHttp.Response registered = app.register("jon", Map.of()).expect(201);
        String cid = registered.correlationId();

        List<JsonNode> trace = await().atMost(DEADLINE).until(() -> stack.trace(cid), entries -> {
            List<String> types = Trace.types(entries);
            return types.contains("email.sent") && types.contains("webhook.delivered") && types.contains("execution.completed");
        });
        List<String> steps = Trace.serviceTypes(trace);
        assertThat(trace).allSatisfy(e -> assertThat(e.path("correlationId").asText()).isEqualTo(cid));
        assertThat(trace).extracting(e -> e.path("service").asText())
                .contains(SystemStack.INGEST, SystemStack.FLOWS, SystemStack.EMAIL, SystemStack.WEBHOOK);
        assertThat(steps.get(0)).isEqualTo("ingest-api:api.request");
        assertThat(steps).containsSubsequence("ingest-api:api.request", "flow-engine:flow.triggered",
                "flow-engine:execution.started", "email-worker:email.sent");
        assertThat(steps).containsSubsequence("flow-engine:execution.started", "webhook-worker:webhook.delivered");
        // time order: each entry no earlier than the one before, and the deliveries after the API call
        for (int i = 1; i < trace.size(); i++) {
            assertThat(Instant.parse(trace.get(i).path("at").asText()))
                    .isAfterOrEqualTo(Instant.parse(trace.get(i - 1).path("at").asText()));
        }
        String executionId = app.execution("jon").path("id").asText();
        assertThat(Trace.first(trace, "email.sent").path("executionId").asText()).isEqualTo(executionId);
        assertThat(Trace.first(trace, "email.sent").path("stepId").asText()).isEqualTo("welcome");
        assertThat(Trace.first(trace, "webhook.delivered").path("stepId").asText()).isEqualTo("crm");
        assertThat(Trace.first(trace, "api.request").path("detail").path("status").asInt()).isEqualTo(201);
        // what the trace says went out did go out
        assertThat(Mailbox.to(app.email("jon"))).singleElement()
                .satisfies(m -> assertThat(m.correlationId()).isEqualTo(cid));
        assertThat(receiver.received(path)).hasSize(1);
    }
}
