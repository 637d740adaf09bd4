package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static net.driploop.flow.definition.Definitions.json;
import static org.assertj.core.api.Assertions.assertThat;

class ConditionEvaluatorTest {

    private static final JsonNode CONTEXT = json("""
            {"user": {"email": "ada@example.com", "status": "active",
                      "metadata": {"plan": "pro", "seats": 3, "score": 2.5, "subscribed": true, "nickname": null,
                                   "trialEndsAt": "2026-07-01", "tags": ["beta", "vip", 7]}},
             "event": {"name": "checkout_completed", "metadata": {"total": 120, "source": "web"}},
             "purchase": {"purchaseDate": "2026-06-09T00:00:00.000Z", "purchaseEndDate": "2027-06-09T00:00:00.000Z",
                          "productId": "pro_annual", "amount": 199, "currency": "USD"}}""");

    @Test
    void comparesNumbersNumerically() {
        assertThat(holds("user.metadata.seats", "eq", "3.0")).isTrue();
        assertThat(holds("user.metadata.seats", "eq", "3")).isTrue();
        assertThat(holds("purchase.amount", "eq", "199.00")).isTrue();
        assertThat(holds("user.metadata.seats", "neq", "4")).isTrue();
        assertThat(holds("user.metadata.score", "gt", "2")).isTrue();
        assertThat(holds("user.metadata.score", "gte", "2.5")).isTrue();
        assertThat(holds("user.metadata.score", "lt", "2.5")).isFalse();
        assertThat(holds("user.metadata.score", "lte", "2.5")).isTrue();
        assertThat(holds("event.metadata.total", "lt", "100")).isFalse();
    }

    @Test
    void comparesStringsExactly() {
        assertThat(holds("user.metadata.plan", "eq", "\"pro\"")).isTrue();
        assertThat(holds("user.metadata.plan", "eq", "\"Pro\"")).isFalse();
        assertThat(holds("user.metadata.plan", "neq", "\"team\"")).isTrue();
        assertThat(holds("user.email", "eq", "\"ada@example.com\"")).isTrue();
        assertThat(holds("event.name", "eq", "\"checkout_completed\"")).isTrue();
    }

    @Test
    void neverEqualsAcrossTypes() {
        assertThat(holds("user.metadata.seats", "eq", "\"3\"")).isFalse();
        assertThat(holds("user.metadata.seats", "neq", "\"3\"")).isTrue();
        assertThat(holds("user.metadata.subscribed", "eq", "\"true\"")).isFalse();
        assertThat(holds("user.metadata.plan", "gt", "1")).isFalse();
        assertThat(holds("user.metadata.plan", "lt", "\"zzz\"")).isFalse();
    }

    @Test
    void comparesBooleans() {
        assertThat(holds("user.metadata.subscribed", "eq", "true")).isTrue();
        assertThat(holds("user.metadata.subscribed", "eq", "false")).isFalse();
        assertThat(holds("user.metadata.subscribed", "neq", "false")).isTrue();
    }

    @Test
    void comparesIsoDatesAsInstants() {
        assertThat(holds("purchase.purchaseEndDate", "gt", "\"2027-01-01\"")).isTrue();
        assertThat(holds("purchase.purchaseEndDate", "lt", "\"2027-06-09T00:00:01Z\"")).isTrue();
        assertThat(holds("purchase.purchaseEndDate", "lte", "\"2027-06-09\"")).isTrue();
        assertThat(holds("purchase.purchaseEndDate", "gte", "\"2027-06-09T02:00:00+02:00\"")).isTrue();
        assertThat(holds("purchase.purchaseEndDate", "eq", "\"2027-06-09\"")).isTrue();
        assertThat(holds("purchase.purchaseDate", "neq", "\"2026-06-09T00:00:00Z\"")).isFalse();
        assertThat(holds("user.metadata.trialEndsAt", "lt", "\"2026-07-01T00:00:00.001Z\"")).isTrue();
        assertThat(holds("user.metadata.trialEndsAt", "gt", "\"2026-07-01\"")).isFalse();
    }

    @Test
    void treatsMissingFieldsAsFailingEveryOpButNotExistsAndNeq() {
        for (String field : new String[] {"user.metadata.missing", "user.metadata.nickname", "event.metadata.x",
                "purchase.refundedAt"}) {
            assertThat(holds(field, "eq", "\"x\"")).as(field).isFalse();
            assertThat(holds(field, "neq", "\"x\"")).as(field).isTrue();
            assertThat(holds(field, "gt", "1")).as(field).isFalse();
            assertThat(holds(field, "gte", "1")).as(field).isFalse();
            assertThat(holds(field, "lt", "1")).as(field).isFalse();
            assertThat(holds(field, "lte", "1")).as(field).isFalse();
            assertThat(holds(field, "in", "[\"x\"]")).as(field).isFalse();
            assertThat(holds(field, "contains", "\"x\"")).as(field).isFalse();
            assertThat(holds(field, "exists", null)).as(field).isFalse();
            assertThat(holds(field, "not_exists", null)).as(field).isTrue();
        }
    }

    @Test
    void treatsAMissingSectionOfTheContextAsMissingFields() {
        JsonNode noPurchase = json("{\"user\": {\"email\": \"a@b.co\"}}");

        assertThat(ConditionEvaluator.matches(comparison("purchase.amount", "exists", null), noPurchase)).isFalse();
        assertThat(ConditionEvaluator.matches(comparison("event.name", "not_exists", null), noPurchase)).isTrue();
        assertThat(ConditionEvaluator.matches(comparison("user.metadata.plan", "neq", "\"pro\""), noPurchase)).isTrue();
    }

    @Test
    void testsPresence() {
        assertThat(holds("user.email", "exists", null)).isTrue();
        assertThat(holds("user.email", "not_exists", null)).isFalse();
        assertThat(holds("user.metadata.subscribed", "exists", null)).isTrue();
    }

    @Test
    void testsMembershipWithIn() {
        assertThat(holds("user.metadata.plan", "in", "[\"team\", \"pro\"]")).isTrue();
        assertThat(holds("user.metadata.plan", "in", "[\"team\", \"free\"]")).isFalse();
        assertThat(holds("user.metadata.seats", "in", "[1, 3.0]")).isTrue();
        assertThat(holds("user.metadata.seats", "in", "[\"3\"]")).isFalse();
    }

    @Test
    void testsSubstringsAndArrayElementsWithContains() {
        assertThat(holds("user.email", "contains", "\"@example.\"")).isTrue();
        assertThat(holds("user.email", "contains", "\"@EXAMPLE.\"")).isFalse();
        assertThat(holds("user.metadata.tags", "contains", "\"vip\"")).isTrue();
        assertThat(holds("user.metadata.tags", "contains", "7.0")).isTrue();
        assertThat(holds("user.metadata.tags", "contains", "\"vi\"")).isFalse();
        assertThat(holds("user.metadata.seats", "contains", "3")).isFalse();
    }

    @Test
    void combinesNestedAllAndAny() {
        Condition proAndEitherBigOrWeb = new Condition.All(List.of(
                comparison("user.metadata.plan", "eq", "\"pro\""),
                new Condition.Any(List.of(
                        comparison("event.metadata.total", "gt", "500"),
                        comparison("event.metadata.source", "eq", "\"web\"")))));
        Condition freeOrBig = new Condition.Any(List.of(
                comparison("user.metadata.plan", "eq", "\"free\""),
                new Condition.All(List.of(
                        comparison("event.metadata.total", "gt", "500"),
                        comparison("user.email", "exists", null)))));

        assertThat(ConditionEvaluator.matches(proAndEitherBigOrWeb, CONTEXT)).isTrue();
        assertThat(ConditionEvaluator.matches(freeOrBig, CONTEXT)).isFalse();
    }

    @Test
    void evaluatesParsedConditions() {
        FlowDefinition flow = Definitions.parse(FlowDefinitionParserTest.DESIGN_EXAMPLE);
        BranchStep check = (BranchStep) flow.step("check").orElseThrow();

        assertThat(ConditionEvaluator.matches(check.when(), CONTEXT)).isTrue();
        assertThat(ConditionEvaluator.matches(flow.exitWhen(), CONTEXT)).isFalse();
        assertThat(ConditionEvaluator.matches(flow.exitWhen(),
                json("{\"user\": {\"metadata\": {\"subscribed\": false}}}"))).isTrue();
    }

    private static boolean holds(String field, String op, String value) {
        return ConditionEvaluator.matches(comparison(field, op, value), CONTEXT);
    }

    private static Condition comparison(String field, String op, String value) {
        return new Condition.Comparison(field, Operator.fromWire(op).orElseThrow(), value == null ? null : json(value));
    }
}
