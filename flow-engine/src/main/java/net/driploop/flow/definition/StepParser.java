package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.Set;

/** Parses and checks one step of a definition, including that its jumps lead forward to a step that exists. */
final class StepParser {

    static final int MAX_EVENT_LENGTH = 100;
    private static final int MAX_JUMP_LENGTH = 200;
    private static final Map<StepType, Set<String>> FIELDS = Map.of(
            StepType.WAIT, Set.of("id", "type", "duration", "next"),
            StepType.WAIT_UNTIL, Set.of("id", "type", "at", "offset", "next"),
            StepType.WAIT_FOR, Set.of("id", "type", "event", "timeout", "when", "then", "else"),
            StepType.BRANCH, Set.of("id", "type", "when", "then", "else"),
            StepType.EMAIL, Set.of("id", "type", "to", "subject", "text", "html", "sendOnce", "maxCount", "next"),
            StepType.WEBHOOK, Set.of("id", "type", "url", "method", "headers", "body", "next"));

    private final Problems problems;
    private final ConditionParser conditions;
    private final Map<String, Integer> positions;

    /** {@code positions} maps each valid step id to its index in {@code steps}, for checking jumps. */
    StepParser(Problems problems, Map<String, Integer> positions) {
        this.problems = problems;
        this.conditions = new ConditionParser(problems);
        this.positions = positions;
    }

    /** The step at {@code steps[index]}; null when its type is unusable (its problems are recorded). */
    Step parse(ObjectNode json, int index) {
        FieldReader reader = new FieldReader(json, Problems.element("steps", index), problems);
        String typeName = reader.string("type", true, 64);
        StepType type = typeName == null ? null : StepType.fromWire(typeName).orElse(null);
        if (type == null) {
            if (typeName != null) {
                reader.reject("type", "must be one of " + StepType.allowed());
            }
            return null;
        }
        if ((type == StepType.BRANCH || type == StepType.WAIT_FOR) && json.has("next")) {
            reader.reject("next", "is not a field of a " + type.wire() + " step: it continues at then or else");
        }
        reader.rejectUnknown(FIELDS.get(type), "a " + type.wire() + " step");
        String id = json.path("id").asText();
        return switch (type) {
            case WAIT -> new WaitStep(id, reader.positiveDuration("duration"), jump(reader, "next", false, index));
            case WAIT_UNTIL -> waitUntil(reader, id, index);
            case WAIT_FOR -> new WaitForStep(id, reader.string("event", true, MAX_EVENT_LENGTH),
                    reader.positiveDuration("timeout"), optionalCondition(reader, "when"),
                    jump(reader, "then", true, index), jump(reader, "else", true, index));
            case BRANCH -> branch(reader, id, index);
            case EMAIL -> EmailSteps.parse(reader, id, jump(reader, "next", false, index));
            case WEBHOOK -> WebhookSteps.parse(reader, id, jump(reader, "next", false, index));
        };
    }

    private WaitUntilStep waitUntil(FieldReader reader, String id, int index) {
        String at = reader.string("at", true, 200);
        if (at != null) {
            Fields.dateFieldProblem(at).ifPresent(problem -> reader.reject("at", problem));
        }
        return new WaitUntilStep(id, at, reader.offset("offset"), jump(reader, "next", false, index));
    }

    private BranchStep branch(FieldReader reader, String id, int index) {
        Condition when = null;
        if (!reader.has("when")) {
            reader.reject("when", "is required");
        } else {
            when = conditions.parse(reader.get("when"), reader.pointer("when"));
        }
        return new BranchStep(id, when, jump(reader, "then", true, index), jump(reader, "else", true, index));
    }

    private Condition optionalCondition(FieldReader reader, String key) {
        return reader.has(key) ? conditions.parse(reader.get(key), reader.pointer(key)) : null;
    }

    /** A jump target: {@code "end"} or the id of a step after {@code from}; anything else is refused. */
    private String jump(FieldReader reader, String key, boolean required, int from) {
        String target = reader.string(key, required, MAX_JUMP_LENGTH);
        if (target == null || target.equals(FlowDefinition.END)) {
            return target;
        }
        Integer to = positions.get(target);
        if (to == null) {
            reader.reject(key, "names no step of this flow; use the id of a later step or \"end\"");
        } else if (to <= from) {
            reader.reject(key, "must jump forward to a later step or \"end\"");
        }
        return target;
    }
}
