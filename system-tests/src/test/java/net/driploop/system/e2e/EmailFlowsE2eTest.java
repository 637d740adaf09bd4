package net.driploop.system.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Flows that end in an email, from the API call to the message the SMTP server accepted. */
@E2eStack
class EmailFlowsE2eTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final SystemStack stack;

    EmailFlowsE2eTest(SystemStack stack) {
        this.stack = stack;
    }

    @Test
    void registeringAUserSendsTheWelcomeEmailRenderedWithTheirMetadata() {
        App app = stack.newApp("welcome");
        app.activeFlow("""
                {'name': 'Welcome', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'welcome', 'type': 'email', 'subject': 'Welcome, {user.metadata.name}!',
                            'text': 'Hi {user.metadata.name}, your {user.metadata.plan} plan is ready.',
                            'html': '<p>Hi <b>{user.metadata.name}</b>, your {user.metadata.plan} plan is ready.</p>'}]}""");

        JsonHttp.Response registered = app.register("ada", Map.of("name", "Ada & Co", "plan", "free")).expect(201);
        assertThat(registered.data().path("created").asBoolean()).isTrue();

        Mailbox.Mail mail = await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("ada")), list -> !list.isEmpty())
                .get(0);
        assertThat(mail.from()).contains("noreply@driploop.test");
        assertThat(mail.subject()).isEqualTo("Welcome, Ada & Co!");
        assertThat(mail.text()).isEqualTo("Hi Ada & Co, your free plan is ready.");
        // values are HTML-escaped in the HTML part only
        assertThat(mail.html()).isEqualTo("<p>Hi <b>Ada &amp; Co</b>, your free plan is ready.</p>");
        assertThat(mail.correlationId()).isEqualTo(registered.correlationId());
        String executionId = app.execution("ada").path("id").asText();
        assertThat(mail.messageId()).startsWith("<" + executionId).contains("welcome@");

        // the worker's result comes back to the step that sent the command
        await().atMost(DEADLINE).until(() -> Trace.delivery(app.execution("ada"), "welcome").path("status").asText(),
                "sent"::equals);
        assertThat(app.execution("ada").path("status").asText()).isEqualTo("completed");
        assertThat(Mailbox.to(app.email("ada"))).hasSize(1);
    }

    @Test
    void anActivityEventSendsAnEmailRenderedWithTheEventsMetadata() {
        App app = stack.newApp("activity");
        app.activeFlow("""
                {'name': 'Order confirmation', 'trigger': {'type': 'activity.event', 'event': 'checkout_completed'},
                 'reentry': 'always',
                 'steps': [{'id': 'confirm', 'type': 'email', 'subject': 'Order {event.metadata.orderId} confirmed',
                            'text': 'Thanks {user.metadata.name}: {event.metadata.total} {event.metadata.currency} via \
                {event.metadata.source}.'}]}""");
        app.register("bob", Map.of("name", "Bob")).expect(201);

        // another event name starts nothing: the trigger matches the name exactly
        app.activity("bob", "login", Map.of("source", "web")).expect(201);
        JsonHttp.Response checkout = app.activity("bob", "checkout_completed",
                Map.of("orderId", "A-1001", "total", 42.5, "currency", "EUR", "source", "ios")).expect(201);

        Mailbox.Mail mail = await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("bob")), list -> !list.isEmpty())
                .get(0);
        assertThat(mail.subject()).isEqualTo("Order A-1001 confirmed");
        assertThat(mail.text()).isEqualTo("Thanks Bob: 42.5 EUR via ios.");
        assertThat(mail.correlationId()).isEqualTo(checkout.correlationId());
        // one user's events are handled in order: the login before the checkout, and it started nothing
        assertThat(app.executions("bob")).singleElement()
                .satisfies(e -> assertThat(e.path("correlationId").asText()).isEqualTo(checkout.correlationId()));
    }

    @Test
    void aPurchaseSchedulesTheRenewalReminderAtItsEndDateMinusTheOffset() {
        App app = stack.newApp("renewal");
        app.activeFlow("""
                {'name': 'Renewal reminder', 'trigger': {'type': 'purchase.recorded'},
                 'steps': [{'id': 'before', 'type': 'wait_until', 'at': 'purchase.purchaseEndDate', 'offset': '-PT5S'},
                           {'id': 'remind', 'type': 'email', 'subject': 'Your {purchase.productId} plan renews soon',
                            'text': 'Hi {user.metadata.name}, {purchase.amount} {purchase.currency} will be charged.'}]}""");
        app.register("cyd", Map.of("name", "Cyd")).expect(201);
        Instant end = Instant.now().plusSeconds(9).truncatedTo(ChronoUnit.MILLIS);
        Instant due = end.minusSeconds(5);
        JsonHttp.Response purchase = app.purchase("cyd", Map.of("purchaseDate", Instant.now().toString(),
                "purchaseEndDate", end.toString(), "productId", "pro_monthly", "amount", 19, "currency", "USD"))
                .expect(201);

        Mailbox.Mail mail = await().atMost(DEADLINE).until(() -> Mailbox.to(app.email("cyd")), list -> !list.isEmpty())
                .get(0);
        assertThat(mail.subject()).isEqualTo("Your pro_monthly plan renews soon");
        assertThat(mail.text()).isEqualTo("Hi Cyd, 19 USD will be charged.");

        List<JsonNode> trace = await().atMost(DEADLINE).until(() -> stack.trace(purchase.correlationId()),
                entries -> Trace.types(entries).contains("email.sent"));
        assertThat(Instant.parse(Trace.first(trace, "step.waiting").path("detail").path("dueAt").asText())).isEqualTo(due);
        // not sent before it was due, and not much later (the timer sweep runs every 200 ms)
        assertThat(Instant.parse(Trace.first(trace, "email.sent").path("at").asText()))
                .isAfterOrEqualTo(due).isBefore(due.plusSeconds(10));
    }

    @Test
    void aBranchSendsEachUserTheMailOfTheirPlan() {
        App app = stack.newApp("branch");
        app.activeFlow("""
                {'name': 'Plan welcome', 'trigger': {'type': 'user.registered'},
                 'steps': [{'id': 'plan', 'type': 'branch', 'when': {'field': 'user.metadata.plan', 'op': 'eq', 'value': 'pro'},
                            'then': 'pro', 'else': 'free'},
                           {'id': 'pro', 'type': 'email', 'subject': 'Welcome to Pro', 'text': 'Pro', 'next': 'end'},
                           {'id': 'free', 'type': 'email', 'subject': 'Try Pro', 'text': 'Free'}]}""");
        app.register("dee", Map.of("plan", "pro")).expect(201);
        app.register("eli", Map.of("plan", "free")).expect(201);

        await().atMost(DEADLINE)
                .until(() -> Mailbox.to(app.email("dee")).size() == 1 && Mailbox.to(app.email("eli")).size() == 1);
        assertThat(Mailbox.to(app.email("dee"))).extracting(Mailbox.Mail::subject).containsExactly("Welcome to Pro");
        assertThat(Mailbox.to(app.email("eli"))).extracting(Mailbox.Mail::subject).containsExactly("Try Pro");
        await().atMost(DEADLINE).until(() -> app.execution("dee").path("status").asText(), "completed"::equals);
        assertThat(Trace.stepIds(app.execution("dee"))).containsExactly("plan", "pro");
        await().atMost(DEADLINE).until(() -> app.execution("eli").path("status").asText(), "completed"::equals);
        assertThat(Trace.stepIds(app.execution("eli"))).containsExactly("plan", "free");
    }
}
