package net.driploop.flow.definition;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static net.driploop.flow.definition.Definitions.parse;
import static net.driploop.flow.definition.Definitions.problems;
import static net.driploop.flow.definition.Definitions.stepProblems;
import static net.driploop.flow.definition.Definitions.withSteps;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class FlowDefinitionValidationTest {

    private static final String WAIT = "{'id': 'w', 'type': 'wait', 'duration': 'PT1M'}";

    @Test
    void reportsEveryProblemAtOnce() {
        Map<String, String> problems = problems("""
                {"name": "", "trigger": {"type": "user.signed_up"}, "reentry": "sometimes",
                 "exitWhen": {"field": "user.plan", "op": "eq", "value": "pro"},
                 "steps": [
                   {"id": "a", "type": "wait", "duration": "10 minutes"},
                   {"id": "b", "type": "branch", "when": {"all": [{"field": "user.email", "op": "like", "value": "x"}]},
                    "then": "a", "else": "nowhere"},
                   {"id": "b", "type": "email", "subject": "Hi {#if user.x}", "text": "t"}
                 ]}""");

        assertThat(problems).containsOnlyKeys(
                "name", "trigger.type", "reentry", "exitWhen.field", "steps[0].duration",
                "steps[1].when.all[0].op", "steps[1].then", "steps[1].else", "steps[2].id", "steps[2].subject");
    }

    @Test
    void refusesWhatIsNotAnObject() {
        assertThatThrownBy(() -> new FlowDefinitionParser().parse(Definitions.json("[]")))
                .isInstanceOfSatisfying(FlowValidationException.class, e ->
                        assertThat(e.details()).containsOnlyKeys("definition"));
    }

    @Test
    void requiresANameOfAtMost200Characters() {
        assertThat(problems("{'trigger': {'type': 'user.registered'}, 'steps': [" + WAIT + "]}"))
                .containsExactly(entry("name", "is required"));
        assertThat(problems("{'name': 5, 'trigger': {'type': 'user.registered'}, 'steps': [" + WAIT + "]}"))
                .containsExactly(entry("name", "must be a string"));
        assertThat(problems("{'name': '" + "n".repeat(201)
                + "', 'trigger': {'type': 'user.registered'}, 'steps': [" + WAIT + "]}"))
                .containsExactly(entry("name", "must be at most 200 characters"));
        parse("{'name': '" + "n".repeat(200) + "', 'trigger': {'type': 'user.registered'}, 'steps': ["
                + WAIT + "]}");
    }

    @Test
    void refusesUnknownOrIncompleteTriggers() {
        assertThat(problems("{'name': 'n', 'steps': [" + WAIT + "]}")).containsOnlyKeys("trigger");
        assertThat(problems("{'name': 'n', 'trigger': 'user.registered', 'steps': [" + WAIT + "]}"))
                .containsOnlyKeys("trigger");
        assertThat(problems("{'name': 'n', 'trigger': {}, 'steps': [" + WAIT + "]}"))
                .containsExactly(entry("trigger.type", "is required"));
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'activity.recorded'}, 'steps': [" + WAIT + "]}"))
                .containsExactly(entry("trigger.type", "must be one of user.registered, user.metadata_updated, "
                        + "user.first_activity, user.active, activity.event, purchase.recorded"));
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'activity.event'}, 'steps': [" + WAIT + "]}"))
                .containsExactly(entry("trigger.event", "is required"));
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'activity.event', 'event': ''}, "
                + "'steps': [" + WAIT + "]}")).containsExactly(entry("trigger.event", "must not be empty"));
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'activity.event', 'event': '"
                + "e".repeat(101) + "'}, 'steps': [" + WAIT + "]}")).containsOnlyKeys("trigger.event");
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'user.active', 'event': 'login'}, "
                + "'steps': [" + WAIT + "]}")).containsOnlyKeys("trigger.event");
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'user.active', 'on': 'login'}, "
                + "'steps': [" + WAIT + "]}")).containsExactly(entry("trigger.on", "is not a field of a trigger"));
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'user.active', 'when': {'field': "
                + "'user.email', 'op': 'exists', 'value': 1}}, 'steps': [" + WAIT + "]}"))
                .containsOnlyKeys("trigger.when.value");
    }

    @Test
    void acceptsOnlyTheThreeReentryPolicies() {
        for (String policy : new String[] {"always", "once", "if_not_active"}) {
            assertThat(parse("{'name': 'n', 'trigger': {'type': 'user.registered'}, 'reentry': '"
                    + policy + "', 'steps': [" + WAIT + "]}").reentry().wire()).isEqualTo(policy);
        }
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'user.registered'}, 'reentry': 'ONCE', "
                + "'steps': [" + WAIT + "]}"))
                .containsExactly(entry("reentry", "must be one of always, once, if_not_active"));
    }

    @Test
    void refusesUnknownTopLevelFields() {
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'user.registered'}, 'exitwhen': {}, "
                + "'steps': [" + WAIT + "]}"))
                .containsExactly(entry("exitwhen", "is not a field of a flow definition"));
    }

    @Test
    void requiresBetweenOneAndAHundredSteps() {
        assertThat(stepProblems("[]")).containsOnlyKeys("steps");
        assertThat(problems("{'name': 'n', 'trigger': {'type': 'user.registered'}}")).containsOnlyKeys("steps");
        assertThat(stepProblems("{}")).containsOnlyKeys("steps");
        assertThat(stepProblems("[" + ("{'id': 'w', 'type': 'wait', 'duration': 'PT1M'},".repeat(100))
                + WAIT + "]")).containsExactly(entry("steps", "must have at most 100 steps"));
        assertThat(stepProblems("['wait']")).containsOnlyKeys("steps[0]");
    }

    @Test
    void requiresUniqueWellFormedStepIds() {
        assertThat(stepProblems("[{'type': 'wait', 'duration': 'PT1M'}]"))
                .containsExactly(entry("steps[0].id", "is required"));
        assertThat(stepProblems("[{'id': 'send mail', 'type': 'wait', 'duration': 'PT1M'}]"))
                .containsExactly(entry("steps[0].id", "must be 1 to 64 letters, digits, '_' or '-'"));
        assertThat(stepProblems("[{'id': '" + "a".repeat(65) + "', 'type': 'wait', 'duration': 'PT1M'}]"))
                .containsOnlyKeys("steps[0].id");
        assertThat(stepProblems("[{'id': 'end', 'type': 'wait', 'duration': 'PT1M'}]"))
                .containsOnlyKeys("steps[0].id");
        assertThat(stepProblems("[" + WAIT + ", {'id': 'x', 'type': 'wait', 'duration': 'PT1M'}, " + WAIT + "]"))
                .containsExactly(entry("steps[2].id", "duplicates the id of steps[0]"));
        parse(withSteps("[{'id': 'Step_1-a', 'type': 'wait', 'duration': 'PT1M'}]"));
    }

    @Test
    void refusesUnknownStepTypes() {
        assertThat(stepProblems("[{'id': 's', 'type': 'sms'}]")).containsExactly(entry("steps[0].type",
                "must be one of wait, wait_until, wait_for, branch, email, webhook"));
        assertThat(stepProblems("[{'id': 's'}]")).containsExactly(entry("steps[0].type", "is required"));
    }

    @Test
    void refusesUnknownFieldsOnSteps() {
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': 'PT1M', 'delay': 'PT1M'}]"))
                .containsExactly(entry("steps[0].delay", "is not a field of a wait step"));
        assertThat(stepProblems("[{'id': 'b', 'type': 'branch', 'when': {'field': 'user.email', "
                + "'op': 'exists'}, 'then': 'end', 'else': 'end', 'next': 'end'}]"))
                .containsExactly(entry("steps[0].next",
                        "is not a field of a branch step: it continues at then or else"));
        assertThat(stepProblems("[{'id': 'm', 'type': 'email', 'subject': 's', 'text': 't', "
                + "'duration': 'PT1M'}]")).containsOnlyKeys("steps[0].duration");
    }

    @Test
    void requiresValidPositiveDurations() {
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait'}]"))
                .containsExactly(entry("steps[0].duration", "is required"));
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': '10m'}]"))
                .containsOnlyKeys("steps[0].duration");
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': 'PT0S'}]"))
                .containsExactly(entry("steps[0].duration", "must be longer than zero"));
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': '-PT10M'}]"))
                .containsExactly(entry("steps[0].duration", "must be longer than zero"));
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': 'P1M'}]"))
                .containsOnlyKeys("steps[0].duration");
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait_for', 'event': 'e', 'timeout': 'P', "
                + "'then': 'end', 'else': 'end'}]")).containsOnlyKeys("steps[0].timeout");
        assertThat(((WaitStep) parse(withSteps("[{'id': 'w', 'type': 'wait', 'duration': 'P1W'}]"))
                .firstStep()).duration()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void requiresADateFieldAndAValidOffsetForWaitUntil() {
        assertThat(stepProblems("[{'id': 'u', 'type': 'wait_until'}]"))
                .containsExactly(entry("steps[0].at", "is required"));
        assertThat(stepProblems("[{'id': 'u', 'type': 'wait_until', 'at': 'user.email'}]"))
                .containsOnlyKeys("steps[0].at");
        assertThat(stepProblems("[{'id': 'u', 'type': 'wait_until', 'at': 'purchase.amount'}]"))
                .containsOnlyKeys("steps[0].at");
        assertThat(stepProblems("[{'id': 'u', 'type': 'wait_until', 'at': 'user.metadata.'}]"))
                .containsOnlyKeys("steps[0].at");
        assertThat(stepProblems("[{'id': 'u', 'type': 'wait_until', 'at': 'purchase.purchaseDate', "
                + "'offset': '7 days before'}]")).containsOnlyKeys("steps[0].offset");
        parse(withSteps("[{'id': 'u', 'type': 'wait_until', 'at': 'user.metadata.trialEndsAt', "
                + "'offset': '-P1MT12H'}]"));
    }

    @Test
    void refusesBackwardJumpAsCycle() {
        assertThat(stepProblems("[" + WAIT + ", {'id': 'b', 'type': 'branch', 'when': {'field': "
                + "'user.email', 'op': 'exists'}, 'then': 'w', 'else': 'end'}]"))
                .containsExactly(entry("steps[1].then", "must jump forward to a later step or \"end\""));
    }

    @Test
    void refusesSelfJumpAsCycle() {
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': 'PT1M', 'next': 'w'}]"))
                .containsExactly(entry("steps[0].next", "must jump forward to a later step or \"end\""));
    }

    @Test
    void refusesJumpsToUnknownSteps() {
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': 'PT1M', 'next': 'later'}]"))
                .containsOnlyKeys("steps[0].next");
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': 'PT1M', 'next': ''}]"))
                .containsOnlyKeys("steps[0].next");
        assertThat(stepProblems("[{'id': 'w', 'type': 'wait', 'duration': 'PT1M', 'next': 2}]"))
                .containsOnlyKeys("steps[0].next");
    }

    @Test
    void acceptsForwardJumpsAndEnd() {
        FlowDefinition flow = parse(withSteps("""
                [{"id": "a", "type": "wait", "duration": "PT1M", "next": "c"},
                 {"id": "b", "type": "wait", "duration": "PT1M", "next": "end"},
                 {"id": "c", "type": "wait", "duration": "PT1M"}]"""));

        assertThat(flow.steps()).extracting(Step::id).containsExactly("a", "b", "c");
    }

    @Test
    void requiresConditionAndBothTargetsOnABranch() {
        assertThat(stepProblems("[{'id': 'b', 'type': 'branch'}]"))
                .containsOnlyKeys("steps[0].when", "steps[0].then", "steps[0].else");
        assertThat(stepProblems("[{'id': 'b', 'type': 'branch', 'when': 'plan == pro', "
                + "'then': 'end', 'else': 'end'}]")).containsOnlyKeys("steps[0].when");
    }

    @Test
    void requiresEventTimeoutAndBothTargetsOnAWaitFor() {
        assertThat(stepProblems("[{'id': 'f', 'type': 'wait_for'}]")).containsOnlyKeys(
                "steps[0].event", "steps[0].timeout", "steps[0].then", "steps[0].else");
        assertThat(stepProblems("[{'id': 'f', 'type': 'wait_for', 'event': 'paid', 'timeout': 'PT1H', "
                + "'when': {'field': 'event.metadata.total', 'op': 'gt'}, 'then': 'end', 'else': 'end'}]"))
                .containsExactly(entry("steps[0].when.value", "is required with op gt"));
    }

    @Test
    void checksEmailSteps() {
        assertThat(stepProblems("[{'id': 'm', 'type': 'email'}]"))
                .containsExactly(entry("steps[0].subject", "is required"),
                        entry("steps[0].text", "text or html is required"));
        assertThat(stepProblems("[{'id': 'm', 'type': 'email', 'subject': 's', 'html': '<p>h</p>', "
                + "'to': 'not-an-address'}]")).containsOnlyKeys("steps[0].to");
        assertThat(stepProblems("[{'id': 'm', 'type': 'email', 'subject': 's', 'text': 't', "
                + "'sendOnce': 'yes', 'maxCount': 0}]")).containsOnlyKeys("steps[0].sendOnce", "steps[0].maxCount");
        assertThat(stepProblems("[{'id': 'm', 'type': 'email', 'subject': 's', 'text': 't', "
                + "'maxCount': 1.5}]")).containsExactly(entry("steps[0].maxCount", "must be a whole number"));
        assertThat(stepProblems("[{'id': 'm', 'type': 'email', 'subject': 's', 'text': 't', "
                + "'sendOnce': true, 'maxCount': 3}]")).containsOnlyKeys("steps[0].maxCount");
        assertThat(stepProblems("[{'id': 'm', 'type': 'email', 'subject': 'a\\nb', 'text': 't'}]"))
                .containsOnlyKeys("steps[0].subject");
        EmailStep email = (EmailStep) parse(withSteps("[{'id': 'm', 'type': 'email', 'subject': 's', "
                + "'html': '<p>h</p>', 'to': 'billing@example.com', 'maxCount': 3}]")).firstStep();
        assertThat(email.to()).isEqualTo("billing@example.com");
        assertThat(email.maxCount()).isEqualTo(3);
    }

    @Test
    void checksWebhookSteps() {
        assertThat(stepProblems("[{'id': 'h', 'type': 'webhook'}]"))
                .containsExactly(entry("steps[0].url", "is required"));
        for (String url : new String[] {
                "/hooks/renewal", "ftp://example.com/x", "example.com/x", "https://", " https://x.io",
                "{user.metadata.url}"}) {
            assertThat(stepProblems("[{'id': 'h', 'type': 'webhook', 'url': '" + url + "'}]"))
                    .as(url).containsExactly(entry("steps[0].url", "must be an absolute http:// or https:// URL"));
        }
        assertThat(stepProblems("[{'id': 'h', 'type': 'webhook', 'url': 'https://x.io', 'method': 'post'}]"))
                .containsOnlyKeys("steps[0].method");
        assertThat(stepProblems("[{'id': 'h', 'type': 'webhook', 'url': 'https://x.io', 'headers': ['a']}]"))
                .containsOnlyKeys("steps[0].headers");
        assertThat(stepProblems("[{'id': 'h', 'type': 'webhook', 'url': 'https://x.io', 'headers': "
                + "{'X-Count': 3, 'Bad Name': 'v', 'webhook-signature': 'v1,x', 'X-Ok': 'fine'}}]"))
                .containsOnlyKeys("steps[0].headers.X-Count", "steps[0].headers.Bad Name",
                        "steps[0].headers.webhook-signature");
        assertThat(stepProblems("[{'id': 'h', 'type': 'webhook', 'url': 'https://x.io', 'method': 'GET', "
                + "'body': {'a': 1}}]")).containsOnlyKeys("steps[0].body");
        WebhookStep hook = (WebhookStep) parse(withSteps("[{'id': 'h', 'type': 'webhook', "
                + "'url': 'https://{user.metadata.tenant}.example.com/hook?u={user.email}', 'method': 'DELETE', "
                + "'body': [1, 'two', null, {'nested': true}]}]")).firstStep();
        assertThat(hook.method()).isEqualTo("DELETE");
    }

    @Test
    void reportsTemplatesThatDoNotParse() {
        Map<String, String> problems = stepProblems("""
                [{"id": "m", "type": "email", "to": "{user.metadata.email", "subject": "Hi {#if user.x}",
                  "text": "line one\\n{user.name(}", "html": "<p>{/if}</p>"},
                 {"id": "h", "type": "webhook", "url": "https://x.io/{#for}",
                  "headers": {"X-Name": "{#unknown}x{/unknown}"},
                  "body": {"user": {"name": "{user.metadata.name"}, "list": ["ok {user.email}", "{#if}{/if}"]}}]""");

        assertThat(problems).containsOnlyKeys("steps[0].to", "steps[0].subject", "steps[0].text", "steps[0].html",
                "steps[1].url", "steps[1].headers.X-Name", "steps[1].body.user.name", "steps[1].body.list[1]");
        assertThat(problems.get("steps[0].subject"))
                .isEqualTo("is not a valid template: unterminated section [if] detected");
        assertThat(problems.get("steps[0].text"))
                .isEqualTo("is not a valid template (line 2): invalid virtual method in {user.name(}");
    }

    @Test
    void acceptsTemplatesWithLiteralBraces() {
        parse(withSteps("""
                [{"id": "m", "type": "email", "subject": "Hi {user.metadata.name ?: 'there'}",
                  "html": "<style>p { color: red }</style>{#if user.metadata.plan == 'pro'}Pro{#else}Free{/if}"}]"""));
    }

    @Test
    void checksComparisonFieldsOperatorsAndValues() {
        assertThat(conditionProblems("{'field': 'user.plan', 'op': 'eq', 'value': 'pro'}"))
                .containsOnlyKeys("exitWhen.field");
        assertThat(conditionProblems("{'field': 'user.metadata.', 'op': 'eq', 'value': 'pro'}"))
                .containsOnlyKeys("exitWhen.field");
        assertThat(conditionProblems("{'field': 'purchase.refunded', 'op': 'eq', 'value': true}"))
                .containsOnlyKeys("exitWhen.field");
        assertThat(conditionProblems("{'op': 'eq', 'value': 1}")).containsOnlyKeys("exitWhen.field");
        assertThat(conditionProblems("{'field': 'user.email', 'op': 'matches', 'value': 'x'}"))
                .containsExactly(entry("exitWhen.op",
                        "must be one of eq, neq, gt, gte, lt, lte, exists, not_exists, in, contains"));
        assertThat(conditionProblems("{'field': 'user.email', 'op': 'eq'}"))
                .containsExactly(entry("exitWhen.value", "is required with op eq"));
        assertThat(conditionProblems("{'field': 'user.email', 'op': 'eq', 'value': null}"))
                .containsOnlyKeys("exitWhen.value");
        assertThat(conditionProblems("{'field': 'user.email', 'op': 'eq', 'value': {'a': 1}}"))
                .containsOnlyKeys("exitWhen.value");
        assertThat(conditionProblems("{'field': 'user.email', 'op': 'not_exists', 'value': true}"))
                .containsOnlyKeys("exitWhen.value");
        assertThat(conditionProblems("{'field': 'user.metadata.plan', 'op': 'in', 'value': 'pro'}"))
                .containsOnlyKeys("exitWhen.value");
        assertThat(conditionProblems("{'field': 'user.metadata.plan', 'op': 'in', 'value': []}"))
                .containsOnlyKeys("exitWhen.value");
        assertThat(conditionProblems("{'field': 'purchase.amount', 'op': 'gt', 'value': 'lots'}"))
                .containsOnlyKeys("exitWhen.value");
        assertThat(conditionProblems("{'field': 'user.email', 'op': 'eq', 'value': 'a', 'negate': true}"))
                .containsOnlyKeys("exitWhen.negate");
        for (String field : new String[] {"user.email", "user.status", "user.metadata.plan", "event.name",
                "event.metadata.source", "purchase.purchaseDate", "purchase.purchaseEndDate", "purchase.productId",
                "purchase.amount", "purchase.currency"}) {
            parse(flowWithExitWhen("{'field': '" + field + "', 'op': 'exists'}"));
        }
        parse(flowWithExitWhen("{'field': 'purchase.purchaseEndDate', 'op': 'lt', 'value': '2027-01-01'}"));
    }

    @Test
    void checksNestedAllAndAnyGroups() {
        assertThat(conditionProblems("{'all': []}")).containsOnlyKeys("exitWhen.all");
        assertThat(conditionProblems("{'any': {'field': 'user.email', 'op': 'exists'}}"))
                .containsOnlyKeys("exitWhen.any");
        assertThat(conditionProblems("{}")).containsOnlyKeys("exitWhen");
        assertThat(conditionProblems("{'all': [{'field': 'user.email', 'op': 'exists'}], 'any': []}"))
                .containsOnlyKeys("exitWhen.any");
        assertThat(conditionProblems("""
                {"any": [{"field": "user.email", "op": "exists"},
                         {"all": [{"field": "user.status", "op": "eq", "value": "active"},
                                  {"field": "user.metadata.plan", "op": "oneOf", "value": ["pro"]}, 3]}]}"""))
                .containsOnlyKeys("exitWhen.any[1].all[1].op", "exitWhen.any[1].all[2]");
        String deep = "{'field': 'user.email', 'op': 'exists'}";
        for (int i = 0; i < 10; i++) {
            deep = "{'all': [" + deep + "]}";
        }
        assertThat(conditionProblems(deep)).hasSize(1);
    }

    private static String flowWithExitWhen(String condition) {
        return "{'name': 'n', 'trigger': {'type': 'user.registered'}, 'exitWhen': " + condition
                + ", 'steps': [" + WAIT + "]}";
    }

    private static Map<String, String> conditionProblems(String condition) {
        return problems(flowWithExitWhen(condition));
    }
}
