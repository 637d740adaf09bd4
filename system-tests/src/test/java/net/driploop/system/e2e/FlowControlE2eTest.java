package net.driploop.system.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Waits, exits and limits, seen from outside: which mails arrive and which never do. A mail that must not arrive
 * is checked against a control user whose mail is due later: once the control's mail is in, the other one
 * would have been too. Waits last 6 s: long enough that the call which must come first (the checkout, the
 * resubscription, the deletion) is handled before they end, even on a busy machine.
 */
@E2eStack
class FlowControlE2eTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final SystemStack stack;

    FlowControlE2eTest(SystemStack stack) {
        this.stack = stack;
    }

    @Test
    void waitForContinuesAtThenWhenTheAwaitedEventArrivesAndAtElseWhenItTimesOut() {
        App app = stack.newApp("wait-for");
        app.activeFlow("""
                {'name': 'Abandoned cart', 'trigger': {'type': 'activity.event', 'event': 'cart_created'},
                 'reentry': 'always',
                 'steps': [{'id': 'wait', 'type': 'wait_for', 'event': 'checkout_completed', 'timeout': 'PT6S',
                            'then': 'thanks', 'else': 'reminder'},
                           {'id': 'reminder', 'type': 'email', 'subject': 'You left {event.metadata.items} items in your cart',
                            'text': 'Come back', 'next': 'end'},
                           {'id': 'thanks', 'type': 'email', 'subject': 'Thanks for your order', 'text': 'Thanks'}]}""");
        app.register("buyer", Map.of()).expect(201);
        app.register("leaver", Map.of()).expect(201);

        app.activity("buyer", "cart_created", Map.of("items", 2)).expect(201);
        await().atMost(DEADLINE).until(() -> app.executions("buyer"),
                list -> list.size() == 1 && list.get(0).path("status").asText().equals("waiting"));
        app.activity("buyer", "checkout_completed", Map.of()).expect(201);
        // the leaver's cart is created after the buyer's: their timeout is due after the buyer's would have been
        app.activity("leaver", "cart_created", Map.of("items", 3)).expect(201);

        await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("leaver")), list -> !list.isEmpty());
        await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("buyer")), list -> !list.isEmpty());
        await().atMost(DEADLINE).until(() -> app.execution("buyer").path("status").asText(), "completed"::equals);
        assertThat(Mailbox.to(app.email("leaver"))).extracting(Mailbox.Mail::subject)
                .containsExactly("You left 3 items in your cart");
        assertThat(Mailbox.to(app.email("buyer"))).extracting(Mailbox.Mail::subject)
                .containsExactly("Thanks for your order");
        assertThat(Trace.stepIds(app.execution("buyer"))).containsExactly("wait", "thanks");
        assertThat(Trace.step(app.execution("buyer"), "wait").path("detail").path("outcome").asText())
                .isEqualTo("event");
        assertThat(Trace.stepIds(app.execution("leaver"))).containsExactly("wait", "reminder");
    }

    @Test
    void exitWhenCancelsTheWinBackOfAUserWhoResubscribes() {
        App app = stack.newApp("win-back");
        app.activeFlow("""
                {'name': 'Win-back', 'trigger': {'type': 'user.metadata_updated',
                  'when': {'field': 'user.metadata.subscribed', 'op': 'eq', 'value': false}},
                 'exitWhen': {'field': 'user.metadata.subscribed', 'op': 'eq', 'value': true},
                 'steps': [{'id': 'pause', 'type': 'wait', 'duration': 'PT6S'},
                           {'id': 'offer', 'type': 'email', 'subject': 'Come back to {user.metadata.plan}', 'text': '20% off'}]}""");
        app.register("stayer", Map.of("subscribed", true, "plan", "pro")).expect(201);
        app.register("goner", Map.of("subscribed", true, "plan", "pro")).expect(201);

        app.patchMetadata("stayer", Map.of("subscribed", false)).expect(200);
        await().atMost(DEADLINE).until(() -> app.executions("stayer"),
                list -> list.size() == 1 && list.get(0).path("status").asText().equals("waiting"));
        app.patchMetadata("goner", Map.of("subscribed", false)).expect(200);
        JsonHttp.Response resubscribe = app.patchMetadata("stayer", Map.of("subscribed", true)).expect(200);

        List<Mailbox.Mail> offers = await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("goner")), l -> !l.isEmpty());
        assertThat(offers).extracting(Mailbox.Mail::subject).containsExactly("Come back to pro");
        assertThat(Mailbox.to(app.email("stayer"))).isEmpty();
        JsonNode stayer = app.execution("stayer");
        assertThat(stayer.path("status").asText()).isEqualTo("exited");
        assertThat(stayer.path("endReason").asText()).isEqualTo("exit_when");
        // the exit is in the trace of the call that reached the goal
        await().atMost(DEADLINE).until(() -> Trace.types(stack.trace(resubscribe.correlationId())),
                types -> types.contains("execution.exited"));
    }

    @Test
    void aSendOnceEmailReachesAUserOnceHoweverOftenTheFlowRuns() {
        App app = stack.newApp("send-once");
        app.activeFlow("""
                {'name': 'First login tip', 'trigger': {'type': 'activity.event', 'event': 'login'}, 'reentry': 'always',
                 'steps': [{'id': 'tip', 'type': 'email', 'subject': 'A tip for your first days', 'text': 'Tip',
                            'sendOnce': true}]}""");
        app.register("fay", Map.of()).expect(201);

        app.activity("fay", "login", Map.of()).expect(201);
        await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("fay")).size() == 1);
        JsonHttp.Response second = app.activity("fay", "login", Map.of()).expect(201);
        JsonHttp.Response third = app.activity("fay", "login", Map.of()).expect(201);

        for (JsonHttp.Response again : List.of(second, third)) {
            JsonNode skipped = await().atMost(DEADLINE).until(() -> stack.trace(again.correlationId()),
                    entries -> Trace.types(entries).contains("email.skipped")).stream()
                    .filter(e -> e.path("type").asText().equals("email.skipped")).findFirst().orElseThrow();
            assertThat(skipped.path("service").asText()).isEqualTo("email-worker");
            assertThat(skipped.path("detail").path("reason").asText()).isEqualTo("send_once");
        }
        assertThat(app.executions("fay")).hasSize(3);
        assertThat(Mailbox.to(app.email("fay"))).hasSize(1);
    }

    @Test
    void aUserDeletedWhileAWaitIsPendingGetsNothing() {
        App app = stack.newApp("deletion");
        app.activeFlow("""
                {'name': 'Day two', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'pause', 'type': 'wait', 'duration': 'PT6S'},
                           {'id': 'nudge', 'type': 'email', 'subject': 'How is it going?', 'text': 'Hi'}]}""");
        app.register("gil", Map.of()).expect(201);
        await().atMost(DEADLINE).until(() -> app.executions("gil"),
                list -> list.size() == 1 && list.get(0).path("status").asText().equals("waiting"));
        JsonHttp.Response deleted = app.delete("gil").expect(200);
        assertThat(deleted.data().path("deactivated").asBoolean()).isTrue();
        app.register("hal", Map.of()).expect(201);

        await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("hal")).size() == 1);
        assertThat(Mailbox.to(app.email("gil"))).isEmpty();
        JsonNode gil = app.execution("gil");
        assertThat(gil.path("status").asText()).isEqualTo("cancelled");
        assertThat(gil.path("endReason").asText()).isEqualTo("user_deleted");
        await().atMost(DEADLINE).until(() -> Trace.types(stack.trace(deleted.correlationId())),
                types -> types.contains("execution.cancelled"));
    }
}
