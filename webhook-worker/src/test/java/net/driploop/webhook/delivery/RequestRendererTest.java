package net.driploop.webhook.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import net.driploop.kit.http.JsonCodec;
import net.driploop.model.Json;
import net.driploop.model.command.CallWebhook;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@SuppressWarnings("unchecked")
class RequestRendererTest {

    static final ObjectMapper JSON = Json.newMapper();
    final RequestRenderer renderer = new RequestRenderer(new JsonCodec(JSON));

    static CallWebhook command(String method, Map<String, String> headers, Object body, Map<String, Object> data) {
        return new CallWebhook("exe_1:notify", "app_1", "user_42", "flw_1", 3, "exe_1", "notify", method,
                "https://example.com/hooks/{user.metadata.plan}", headers, body, data, "cor_1", null);
    }

    @Test
    void renderedValuesAreJsonEscapedStringsNotSplicedJson() throws Exception {
        Map<String, Object> data = Map.of("user", Map.of("metadata", Map.of("plan", "\",\"admin\":true,\"x\":\"")));
        RenderedRequest request = renderer.render(command(null, Map.of(), Map.of("plan", "{user.metadata.plan}"), data));
        Map<String, Object> body = JSON.readValue(request.body(), Map.class);
        assertThat(body).containsOnlyKeys("plan");
        assertThat(request.method()).isEqualTo("POST");
    }

    @Test
    void theStandardPayloadNamesAppUserEventFlowExecutionAndCorrelationId() throws Exception {
        RenderedRequest request = renderer.render(command("post", Map.of(), null, Map.of("event", Map.of("name", "x"))));
        Map<String, Object> body = JSON.readValue(request.body(), Map.class);
        assertThat(body).containsOnlyKeys("app", "user", "event", "flow", "execution", "correlationId");
        assertThat(body.get("flow")).isEqualTo(Map.of("id", "flw_1", "version", 3));
        assertThat(body.get("user")).isEqualTo(Map.of("externalUserId", "user_42"));
    }

    @Test
    void aGetHasNoBodyAndAMissingValueRendersEmpty() {
        RenderedRequest request = renderer.render(command("GET", Map.of(), null, Map.of()));
        assertThat(request.body()).isEmpty();
        assertThat(request.url()).isEqualTo("https://example.com/hooks/");
    }

    @Test
    void refusesAHeaderValueThatRendersToALineBreak() {
        Map<String, Object> data = Map.of("user", Map.of("metadata", Map.of("plan", "pro\r\nX-Evil: 1")));
        assertThatThrownBy(() -> renderer.render(command("POST", Map.of("x-plan", "{user.metadata.plan}"), null, data)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line break");
        assertThat(new String(renderer.render(command("POST", Map.of(), Map.of("p", "{user.metadata.plan}"), data)).body(),
                StandardCharsets.UTF_8)).contains("pro\\r\\nX-Evil: 1");
    }
}
