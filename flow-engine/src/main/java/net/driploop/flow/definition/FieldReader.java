package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.Iterator;
import java.util.Set;

/** Reads the fields of one object of a definition, reporting each problem under the field's pointer. */
final class FieldReader {

    private final ObjectNode node;
    private final String path;
    private final Problems problems;

    FieldReader(ObjectNode node, String path, Problems problems) {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    String pointer(String key) {
        return Problems.child(path, key);
    }

    /** The field's value; null when absent or JSON null (both mean "not set"). */
    JsonNode get(String key) {
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    boolean has(String key) {
        return get(key) != null;
    }

    void reject(String key, String problem) {
        problems.add(pointer(key), problem);
    }

    /** Records a problem below this object, e.g. at {@code steps[3].headers.X-Token}. */
    void rejectAt(String pointer, String problem) {
        problems.add(pointer, problem);
    }

    /** Reports every field that is not in {@code allowed}, e.g. "is not a field of a wait step". */
    void rejectUnknown(Set<String> allowed, String owner) {
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!allowed.contains(key)) {
                reject(key, "is not a field of " + owner);
            }
        }
    }

    /** A non-blank string of at most {@code maxLength} characters; null (and reported) otherwise. */
    String string(String key, boolean required, int maxLength) {
        JsonNode value = get(key);
        if (value == null) {
            if (required) {
                reject(key, "is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            reject(key, "must be a string");
            return null;
        }
        String text = value.textValue();
        if (text.isBlank()) {
            reject(key, "must not be empty");
            return null;
        }
        if (text.length() > maxLength) {
            reject(key, "must be at most " + maxLength + " characters");
            return null;
        }
        return text;
    }

    /** A string that parses as a Qute template. */
    String template(String key, boolean required, int maxLength) {
        String text = string(key, required, maxLength);
        if (text == null) {
            return null;
        }
        Templates.problem(text).ifPresent(problem -> reject(key, problem));
        return text;
    }

    /** A required ISO-8601 duration longer than zero, in weeks, days, hours, minutes or seconds. */
    Duration positiveDuration(String key) {
        String text = string(key, true, 64);
        if (text == null) {
            return null;
        }
        Duration duration = IsoOffset.parse(text).flatMap(IsoOffset::toDuration).orElse(null);
        if (duration == null) {
            reject(key, "must be an ISO-8601 duration in weeks, days, hours, minutes or seconds, "
                    + "e.g. \"PT10M\" or \"P3D\"");
        } else if (duration.isNegative() || duration.isZero()) {
            reject(key, "must be longer than zero");
        }
        return duration;
    }

    /** An optional ISO-8601 duration with a sign, e.g. {@code -P7D}; zero when absent. */
    IsoOffset offset(String key) {
        String text = string(key, false, 64);
        if (text == null) {
            return IsoOffset.ZERO;
        }
        return IsoOffset.parse(text).orElseGet(() -> {
            reject(key, "must be an ISO-8601 duration, negative for before, e.g. \"-P7D\", \"P1M\" or \"PT12H\"");
            return IsoOffset.ZERO;
        });
    }

    boolean bool(String key) {
        JsonNode value = get(key);
        if (value != null && !value.isBoolean()) {
            reject(key, "must be true or false");
        }
        return value != null && value.booleanValue();
    }

    /** An optional whole number of at least {@code min}; null when absent. */
    Integer integer(String key, int min) {
        JsonNode value = get(key);
        if (value == null) {
            return null;
        }
        if (!value.isNumber() || !value.canConvertToExactIntegral() || !value.canConvertToInt()) {
            reject(key, "must be a whole number");
            return null;
        }
        if (value.intValue() < min) {
            reject(key, "must be at least " + min);
        }
        return value.intValue();
    }
}
