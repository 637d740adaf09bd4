package net.driploop.flow.definition;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** Test helpers: JSON from text, and the problems a definition is refused with. */
final class Definitions {

    /** Reads JSON with single-quoted strings too, so that definitions in Java strings stay readable. */
    static final ObjectMapper MAPPER = JsonMapper.builder().enable(JsonReadFeature.ALLOW_SINGLE_QUOTES).build();
    private static final FlowDefinitionParser PARSER = new FlowDefinitionParser();

    private Definitions() {
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static FlowDefinition parse(String definition) {
        return PARSER.parse(json(definition));
    }

    /** A valid flow (trigger user.registered) around the given steps array. */
    static String withSteps(String steps) {
        return "{'name': 'Test', 'trigger': {'type': 'user.registered'}, 'steps': " + steps + "}";
    }

    /** The refusal details of a definition that must be refused. */
    static Map<String, String> problems(String definition) {
        try {
            PARSER.parse(json(definition));
        } catch (FlowValidationException e) {
            return e.details();
        }
        return fail("expected the definition to be refused: " + definition);
    }

    static Map<String, String> stepProblems(String steps) {
        return problems(withSteps(steps));
    }

    static void assertRefused(String definition) {
        assertThatThrownBy(() -> parse(definition)).isInstanceOf(FlowValidationException.class);
    }
}
