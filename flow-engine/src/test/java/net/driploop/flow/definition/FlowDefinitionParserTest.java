package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.util.List;
import java.util.Map;

import static net.driploop.flow.definition.Definitions.json;
import static net.driploop.flow.definition.Definitions.parse;
import static net.driploop.flow.definition.Definitions.withSteps;
import static org.assertj.core.api.Assertions.assertThat;

class FlowDefinitionParserTest {

    static final String DESIGN_EXAMPLE = """
            {
              "name": "Renewal reminder",
              "trigger": {"type": "purchase.recorded"},
              "reentry": "if_not_active",
              "exitWhen": {"field": "user.metadata.subscribed", "op": "eq", "value": false},
              "steps": [
                {"id": "wait", "type": "wait_until", "at": "purchase.purchaseEndDate", "offset": "-P7D"},
                {"id": "check", "type": "branch", "when": {"field": "user.metadata.plan", "op": "eq", "value": "pro"},
                 "then": "mail", "else": "end"},
                {"id": "mail", "type": "email", "subject": "Your {user.metadata.plan} plan renews soon",
                 "text": "Hi {user.metadata.name}, …", "html": "<p>Hi {user.metadata.name}</p>", "maxCount": 1},
                {"id": "notify", "type": "webhook", "url": "https://example.com/hooks/renewal"}
              ]
            }
            """;

    @Test
    void parsesTheDesignExampleToRecords() {
        FlowDefinition flow = parse(DESIGN_EXAMPLE);

        JsonNodeFactory nodes = JsonNodeFactory.instance;
        assertThat(flow).isEqualTo(new FlowDefinition(
                "Renewal reminder",
                new Trigger(TriggerType.PURCHASE_RECORDED, null, null),
                Reentry.IF_NOT_ACTIVE,
                new Condition.Comparison("user.metadata.subscribed", Operator.EQ, nodes.booleanNode(false)),
                List.of(
                        new WaitUntilStep("wait", "purchase.purchaseEndDate",
                                new IsoOffset(Period.ofDays(-7), Duration.ZERO), null),
                        new BranchStep("check",
                                new Condition.Comparison("user.metadata.plan", Operator.EQ, nodes.textNode("pro")),
                                "mail", "end"),
                        new EmailStep("mail", null, "Your {user.metadata.plan} plan renews soon",
                                "Hi {user.metadata.name}, …", "<p>Hi {user.metadata.name}</p>", false, 1, null),
                        new WebhookStep("notify", "https://example.com/hooks/renewal", "POST", Map.of(), null,
                                null))));
    }

    @Test
    void appliesDefaultsForOptionalFields() {
        FlowDefinition flow = parse(withSteps("""
                [{"id": "hook", "type": "webhook", "url": "https://example.com/h"}]"""));

        assertThat(flow.reentry()).isEqualTo(Reentry.IF_NOT_ACTIVE);
        assertThat(flow.exitWhen()).isNull();
        assertThat(flow.trigger().when()).isNull();
        WebhookStep hook = (WebhookStep) flow.firstStep();
        assertThat(hook.method()).isEqualTo("POST");
        assertThat(hook.headers()).isEmpty();
        assertThat(hook.body()).isNull();
    }

    @Test
    void treatsJsonNullAsAbsent() {
        FlowDefinition flow = parse("""
                {"name": "n", "trigger": {"type": "user.registered", "when": null}, "reentry": null,
                 "exitWhen": null, "steps": [{"id": "w", "type": "wait", "duration": "PT1M", "next": null}]}""");

        assertThat(flow.reentry()).isEqualTo(Reentry.IF_NOT_ACTIVE);
        assertThat(((WaitStep) flow.firstStep()).next()).isNull();
    }

    @Test
    void parsesEveryStepType() {
        FlowDefinition flow = parse("""
                {"name": "Abandoned cart", "reentry": "always",
                 "trigger": {"type": "activity.event", "event": "checkout_started",
                             "when": {"field": "event.metadata.total", "op": "gte", "value": 10}},
                 "steps": [
                   {"id": "pause", "type": "wait", "duration": "PT10M", "next": "await"},
                   {"id": "await", "type": "wait_for", "event": "checkout_completed", "timeout": "PT24H",
                    "when": {"field": "event.metadata.cart", "op": "exists"}, "then": "end", "else": "until"},
                   {"id": "until", "type": "wait_until", "at": "user.metadata.trialEndsAt", "offset": "PT10M"},
                   {"id": "remind", "type": "email", "to": "{user.metadata.billingEmail}", "subject": "Still there?",
                    "text": "Your cart", "sendOnce": true},
                   {"id": "hook", "type": "webhook", "url": "https://crm.example.com/users/{user.metadata.crmId}",
                    "method": "PUT", "headers": {"X-Token": "abc", "X-User": "{user.email}"},
                    "body": {"email": "{user.email}", "tags": ["cart", 3]}}
                 ]}""");

        assertThat(flow.reentry()).isEqualTo(Reentry.ALWAYS);
        assertThat(flow.trigger().type()).isEqualTo(TriggerType.ACTIVITY_EVENT);
        assertThat(flow.trigger().event()).isEqualTo("checkout_started");
        assertThat(flow.trigger().when()).isEqualTo(new Condition.Comparison(
                "event.metadata.total", Operator.GTE, JsonNodeFactory.instance.numberNode(10)));
        assertThat(flow.steps()).extracting(Step::type).containsExactly(
                StepType.WAIT, StepType.WAIT_FOR, StepType.WAIT_UNTIL, StepType.EMAIL, StepType.WEBHOOK);
        assertThat(flow.steps().get(0)).isEqualTo(new WaitStep("pause", Duration.ofMinutes(10), "await"));
        assertThat(flow.steps().get(1)).isEqualTo(new WaitForStep("await", "checkout_completed", Duration.ofHours(24),
                new Condition.Comparison("event.metadata.cart", Operator.EXISTS, null), "end", "until"));
        assertThat(flow.steps().get(2)).isEqualTo(new WaitUntilStep("until", "user.metadata.trialEndsAt",
                new IsoOffset(Period.ZERO, Duration.ofMinutes(10)), null));
        assertThat(flow.steps().get(3)).isEqualTo(new EmailStep("remind", "{user.metadata.billingEmail}",
                "Still there?", "Your cart", null, true, null, null));
        WebhookStep hook = (WebhookStep) flow.steps().get(4);
        assertThat(hook.method()).isEqualTo("PUT");
        assertThat(hook.headers()).containsExactly(Map.entry("X-Token", "abc"), Map.entry("X-User", "{user.email}"));
        assertThat(hook.body()).isEqualTo(json("{\"email\": \"{user.email}\", \"tags\": [\"cart\", 3]}"));
    }

    @Test
    void parsesNestedConditions() {
        FlowDefinition flow = parse(withSteps("""
                [{"id": "b", "type": "branch", "then": "end", "else": "end",
                  "when": {"all": [{"field": "user.status", "op": "eq", "value": "active"},
                                   {"any": [{"field": "user.metadata.plan", "op": "in", "value": ["pro", "team"]},
                                            {"field": "purchase.amount", "op": "gt", "value": 100}]}]}}]"""));

        JsonNodeFactory nodes = JsonNodeFactory.instance;
        assertThat(((BranchStep) flow.firstStep()).when()).isEqualTo(new Condition.All(List.of(
                new Condition.Comparison("user.status", Operator.EQ, nodes.textNode("active")),
                new Condition.Any(List.of(
                        new Condition.Comparison("user.metadata.plan", Operator.IN, json("[\"pro\", \"team\"]")),
                        new Condition.Comparison("purchase.amount", Operator.GT, nodes.numberNode(100)))))));
    }

    @Test
    void keepsItsOwnCopyOfJsonValues() {
        ObjectNode source = (ObjectNode) json(withSteps("""
                [{"id": "hook", "type": "webhook", "url": "https://example.com/h", "body": {"a": 1}}]"""));
        FlowDefinition flow = new FlowDefinitionParser().parse(source);

        ((ObjectNode) source.at("/steps/0/body")).put("a", 2);

        assertThat(((WebhookStep) flow.firstStep()).body()).isEqualTo(json("{\"a\": 1}"));
    }

    @Test
    void findsStepsAndWhereAnExecutionContinues() {
        FlowDefinition flow = parse(DESIGN_EXAMPLE);

        assertThat(flow.firstStep().id()).isEqualTo("wait");
        assertThat(flow.step("mail")).get().isInstanceOf(EmailStep.class);
        assertThat(flow.step("nope")).isEmpty();
        assertThat(flow.stepAfter("wait")).get().extracting(Step::id).isEqualTo("check");
        assertThat(flow.stepAfter("notify")).isEmpty();
        assertThat(flow.stepAfter("nope")).isEmpty();
        assertThat(flow.continueAfter("mail", null)).get().extracting(Step::id).isEqualTo("notify");
        assertThat(flow.continueAfter("check", "mail")).get().extracting(Step::id).isEqualTo("mail");
        assertThat(flow.continueAfter("check", FlowDefinition.END)).isEmpty();
        assertThat(flow.continueAfter("notify", null)).isEmpty();
    }

    @Test
    void matchesTriggersByEventTypeAndActivityName() {
        Trigger activity = new Trigger(TriggerType.ACTIVITY_EVENT, "checkout_completed", null);
        Trigger purchase = new Trigger(TriggerType.PURCHASE_RECORDED, null, null);

        assertThat(activity.listensTo("activity.recorded", "checkout_completed")).isTrue();
        assertThat(activity.listensTo("activity.recorded", "Checkout_completed")).isFalse();
        assertThat(activity.listensTo("user.active", "checkout_completed")).isFalse();
        assertThat(purchase.listensTo("purchase.recorded", null)).isTrue();
        assertThat(purchase.listensTo("user.registered", null)).isFalse();
    }

    @Test
    void computesWhenAWaitUntilStepIsDue() {
        WaitUntilStep step = (WaitUntilStep) parse(DESIGN_EXAMPLE).firstStep();

        assertThat(step.dueAt(json("{\"purchase\": {\"purchaseEndDate\": \"2027-06-09T00:00:00.000Z\"}}")))
                .contains(Instant.parse("2027-06-02T00:00:00Z"));
        assertThat(step.dueAt(json("{\"purchase\": {\"purchaseEndDate\": \"2027-06-09\"}}")))
                .contains(Instant.parse("2027-06-02T00:00:00Z"));
        assertThat(step.dueAt(json("{\"purchase\": {}}"))).isEmpty();
        assertThat(step.dueAt(json("{\"purchase\": {\"purchaseEndDate\": \"soon\"}}"))).isEmpty();
        assertThat(step.dueAt(json("{}"))).isEmpty();
    }
}
