package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns definition JSON into a {@link FlowDefinition}, checking all of it and refusing it with every
 * problem at once ({@link FlowValidationException}). Stateless and thread-safe.
 */
public final class FlowDefinitionParser {

    static final int MAX_NAME_LENGTH = 200;
    static final int MAX_STEPS = 100;
    private static final Pattern STEP_ID = Pattern.compile("^[A-Za-z0-9_-]{1,64}$");
    private static final Set<String> TOP_FIELDS = Set.of("name", "trigger", "reentry", "exitWhen", "steps");
    private static final Set<String> TRIGGER_FIELDS = Set.of("type", "event", "when");

    /** The definition the JSON describes; throws {@link FlowValidationException} naming every problem. */
    public FlowDefinition parse(JsonNode json) {
        Problems problems = new Problems();
        if (json == null || !json.isObject()) {
            problems.add("definition", "must be a JSON object");
            problems.throwIfAny();
        }
        // A private copy: the records keep JSON values (condition values, webhook bodies).
        FieldReader reader = new FieldReader(((ObjectNode) json).deepCopy(), "", problems);
        ConditionParser conditions = new ConditionParser(problems);
        reader.rejectUnknown(TOP_FIELDS, "a flow definition");
        String name = reader.string("name", true, MAX_NAME_LENGTH);
        Trigger trigger = trigger(reader, conditions, problems);
        Reentry reentry = reentry(reader);
        Condition exitWhen = reader.has("exitWhen") ? conditions.parse(reader.get("exitWhen"), "exitWhen") : null;
        List<Step> steps = steps(reader, problems);
        problems.throwIfAny();
        return new FlowDefinition(name, trigger, reentry, exitWhen, steps);
    }

    private static Trigger trigger(FieldReader top, ConditionParser conditions, Problems problems) {
        JsonNode json = top.get("trigger");
        if (json == null || !json.isObject()) {
            top.reject("trigger", json == null ? "is required"
                    : "must be an object such as {\"type\": \"user.registered\"}");
            return null;
        }
        FieldReader reader = new FieldReader((ObjectNode) json, "trigger", problems);
        reader.rejectUnknown(TRIGGER_FIELDS, "a trigger");
        String typeName = reader.string("type", true, 64);
        TriggerType type = typeName == null ? null : TriggerType.fromWire(typeName).orElse(null);
        if (typeName != null && type == null) {
            reader.reject("type", "must be one of " + TriggerType.allowed());
        }
        String event = null;
        if (type == TriggerType.ACTIVITY_EVENT) {
            event = reader.string("event", true, StepParser.MAX_EVENT_LENGTH);
        } else if (type != null && reader.has("event")) {
            reader.reject("event", "is only used with type activity.event");
        }
        Condition when = reader.has("when") ? conditions.parse(reader.get("when"), "trigger.when") : null;
        return new Trigger(type, event, when);
    }

    private static Reentry reentry(FieldReader top) {
        String name = top.string("reentry", false, 64);
        if (name == null) {
            return Reentry.IF_NOT_ACTIVE;
        }
        return Reentry.fromWire(name).orElseGet(() -> {
            top.reject("reentry", "must be one of " + Reentry.allowed());
            return null;
        });
    }

    private static List<Step> steps(FieldReader top, Problems problems) {
        JsonNode json = top.get("steps");
        List<Step> steps = new ArrayList<>();
        if (json == null || !json.isArray() || json.isEmpty()) {
            top.reject("steps", "must be a non-empty array of steps");
            return steps;
        }
        if (json.size() > MAX_STEPS) {
            top.reject("steps", "must have at most " + MAX_STEPS + " steps");
            return steps;
        }
        StepParser parser = new StepParser(problems, positions(json, problems));
        for (int i = 0; i < json.size(); i++) {
            if (json.get(i).isObject()) {
                Step step = parser.parse((ObjectNode) json.get(i), i);
                if (step != null) {
                    steps.add(step);
                }
            }
        }
        return steps;
    }

    /** Checks every step id and maps each usable one to its position; jumps are checked against this map. */
    private static Map<String, Integer> positions(JsonNode steps, Problems problems) {
        Map<String, Integer> positions = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            String path = Problems.element("steps", i);
            if (!steps.get(i).isObject()) {
                problems.add(path, "must be a step object with an id and a type");
                continue;
            }
            FieldReader reader = new FieldReader((ObjectNode) steps.get(i), path, problems);
            String id = reader.string("id", true, 64);
            if (id == null) {
                continue;
            }
            if (!STEP_ID.matcher(id).matches()) {
                reader.reject("id", "must be 1 to 64 letters, digits, '_' or '-'");
            } else if (id.equals(FlowDefinition.END)) {
                reader.reject("id", "\"end\" is reserved: a jump to \"end\" ends the flow");
            } else if (positions.containsKey(id)) {
                reader.reject("id", "duplicates the id of steps[" + positions.get(id) + "]");
            } else {
                positions.put(id, i);
            }
        }
        return positions;
    }
}
