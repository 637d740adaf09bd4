package net.driploop.email.render;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Qute rendering of command templates: nested data, missing and null values, HTML escaping. */
class TemplateRendererTest {

    final TemplateRenderer renderer = new TemplateRenderer();

    final Map<String, Object> data = Map.of(
            "user", Map.of("email", "ada@example.com", "metadata", Map.of("name", "Ada", "plan", "pro")),
            "purchase", Map.of("amount", 12));

    @Test
    void rendersNestedValuesOfUserEventAndPurchase() {
        assertThat(renderer.text("Hi {user.metadata.name}, {purchase.amount} on {user.email}", data))
                .isEqualTo("Hi Ada, 12 on ada@example.com");
    }

    @Test
    void rendersAMissingValueAsNothing() {
        assertThat(renderer.text("Hi {user.metadata.nickname}!{event.name}{nothing.at.all}", data)).isEqualTo("Hi !");
        assertThat(renderer.html("<p>Hi {user.metadata.nickname}</p>", data)).isEqualTo("<p>Hi </p>");
    }

    @Test
    void rendersANullValueAsNothing() {
        Map<String, Object> metadata = new HashMap<>();
        metadata.put("name", null);
        assertThat(renderer.text("Hi {user.metadata.name}.", Map.of("user", Map.of("metadata", metadata))))
                .isEqualTo("Hi .");
    }

    @Test
    void escapesValuesInHtmlButNotInText() {
        Map<String, Object> evil = Map.of("user", Map.of("metadata", Map.of("name", "<b>Ada</b>")));
        assertThat(renderer.html("<p>{user.metadata.name}</p>", evil)).isEqualTo("<p>&lt;b&gt;Ada&lt;/b&gt;</p>");
        assertThat(renderer.text("{user.metadata.name}", evil)).isEqualTo("<b>Ada</b>");
    }

    @Test
    void leavesAbsentTemplatesAbsent() {
        assertThat(renderer.html(null, data)).isNull();
    }
}
