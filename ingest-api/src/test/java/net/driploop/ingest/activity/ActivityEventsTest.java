package net.driploop.ingest.activity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.driploop.ingest.auth.Caller;
import net.driploop.ingest.pipeline.Call;
import net.driploop.ingest.pipeline.CallContext;
import net.driploop.kit.http.JsonCodec;
import net.driploop.kit.outbox.OutboxRecord;
import net.driploop.model.EventTypes;
import net.driploop.model.Json;
import net.driploop.model.event.Activity;
import net.driploop.model.event.ActivityRecorded;
import net.driploop.model.event.UserActive;
import net.driploop.model.event.UserFirstActivity;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The shortcuts of the activity hot path write the same JSON as the records they stand for. */
class ActivityEventsTest {

    private final ObjectMapper mapper = Json.newMapper();
    private final JsonCodec json = new JsonCodec(mapper);

    @Test
    void theThreeActivityEventsShareOnePayload() {
        Activity activity = new Activity("act_1", "login", Map.of("source", "web"), Instant.parse("2026-06-09T12:00:00Z"));
        Instant at = Instant.parse("2026-06-09T12:00:00.123Z");
        String active = json.write(new UserActive("app_1", "u1", null, activity, at));

        assertThat(json.write(new UserFirstActivity("app_1", "u1", null, activity, at))).isEqualTo(active);
        assertThat(json.write(new ActivityRecorded("app_1", "u1", null, activity, at))).isEqualTo(active);
    }

    @Test
    void apiRequestEntryOfALaterActivityListsOnlyItsTwoEvents() throws Exception {
        CallContext ctx = new CallContext(new Caller("app_1", "key_1"), "cor_1", Instant.now(),
                new Call("POST", "/api/v1/events/activity", "{}", "retry-\"events\":[-1"));
        OutboxRecord first = ctx.event(EventTypes.USER_FIRST_ACTIVITY, "u1", Map.of(), null);
        OutboxRecord active = ctx.event(EventTypes.USER_ACTIVE, "u1", Map.of(), null);
        OutboxRecord recorded = ctx.event(EventTypes.ACTIVITY_RECORDED, "u1", Map.of(), null);

        List<OutboxRecord> logs = ActivityService.apiLogs(json, ctx, "u1", first, active, recorded);

        JsonNode ifFirst = mapper.readTree(json.write(logs.get(0).payload()));
        JsonNode ifLater = mapper.readTree(json.write(logs.get(1).payload()));
        assertThat(ifFirst.at("/detail/events").findValuesAsText("id")).containsExactly(first.id(), active.id(), recorded.id());
        assertThat(ifLater.at("/detail/events").findValuesAsText("id")).containsExactly(active.id(), recorded.id());
        assertThat(ifLater.at("/detail/events/0/type").asText()).isEqualTo(EventTypes.USER_ACTIVE);
        assertThat(ifLater.at("/detail/idempotencyKey").asText()).isEqualTo("retry-\"events\":[-1");
        assertThat(ifLater.path("id").asText()).isEqualTo(ifFirst.path("id").asText());
    }
}
