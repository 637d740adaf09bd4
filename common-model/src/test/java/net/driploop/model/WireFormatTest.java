package net.driploop.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.driploop.model.event.Activity;
import net.driploop.model.event.ActivityRecorded;
import net.driploop.model.event.UserSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WireFormatTest {

    private final ObjectMapper mapper = Json.newMapper();

    @Test
    void correlationIdsAreUniqueAndSortByCreationTime() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = Ids.newCorrelationId();
            assertThat(id).matches(Ids.CORRELATION_ID);
            assertThat(seen.add(id)).isTrue();
        }
        String earlier = Ids.newCorrelationId();
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() == start) {
            Thread.onSpinWait();
        }
        String later = Ids.newCorrelationId();
        assertThat(earlier.compareTo(later)).isNegative();
    }

    @Test
    void idsMadeInTheSameMillisecondSortInTheOrderTheyWereMade() {
        // many per millisecond: with random bits alone, their order within a millisecond would be arbitrary
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            made.add(Ids.newId(Ids.LOG_ENTRY));
        }
        assertThat(made).isSorted().doesNotHaveDuplicates();
        assertThat(made.get(0).substring(4, 14)).isNotEqualTo("0000000000");
    }

    @Test
    void ulidBodyEncodesTheMillisecondTimestamp() {
        assertThat(Ids.ulid(0)).startsWith("0000000000");
        assertThat(Ids.ulid(1L << 47).substring(0, 10)).isEqualTo("4000000000");
        assertThat(Ids.ulid((1L << 48) - 1).substring(0, 10)).isEqualTo("7ZZZZZZZZZ");
    }

    @Test
    void errorEnvelopeLeavesOutEmptyDetails() throws Exception {
        JsonNode plain = mapper.valueToTree(Envelope.failure(ErrorCode.NOT_FOUND, "gone", null, "cor_X"));
        assertThat(plain.path("error").has("details")).isFalse();
        assertThat(plain.path("error").path("code").asText()).isEqualTo("not_found");
        assertThat(plain.path("correlationId").asText()).isEqualTo("cor_X");
        JsonNode detailed = mapper.valueToTree(
                Envelope.failure(ErrorCode.VALIDATION_ERROR, "bad", Map.of("email", "must be valid"), "cor_Y"));
        assertThat(detailed.path("error").path("details").path("email").asText()).isEqualTo("must be valid");
    }

    @Test
    void timestampsAreUtcWithMillisecondsAndEventsRoundTrip() throws Exception {
        Instant at = Instant.parse("2026-06-09T12:00:00Z");
        assertThat(mapper.writeValueAsString(at)).isEqualTo("\"2026-06-09T12:00:00.000Z\"");
        ActivityRecorded event = new ActivityRecorded("app_1", "user_42",
                new UserSnapshot("usr_1", "user_42", "ada@example.com", Map.of("plan", "pro"), "active", at, at, at, at),
                new Activity("act_1", "login", Map.of("source", "web"), at), at);
        String json = mapper.writeValueAsString(event);
        assertThat(json).contains("\"occurredAt\":\"2026-06-09T12:00:00.000Z\"");
        assertThat(mapper.readValue(json, ActivityRecorded.class)).isEqualTo(event);
    }

    @Test
    void topicKeysKeepAUsersRecordsTogether() {
        assertThat(Topics.userKey("app_1", "user_42")).isEqualTo("app_1:user_42");
        assertThat(Topics.dlq(Topics.EMAIL_COMMANDS)).isEqualTo("driploop.email-commands.v1.dlq");
        assertThat(List.of(Topics.EVENTS, Topics.AUTOMATION_LOG)).allMatch(t -> t.startsWith("driploop.") && t.endsWith(".v1"));
    }
}
