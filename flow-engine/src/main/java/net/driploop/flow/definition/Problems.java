package net.driploop.flow.definition;

import java.util.LinkedHashMap;
import java.util.Map;

/** Collects the problems of one definition by pointer, so that one refusal names all of them. */
final class Problems {

    private final Map<String, String> details = new LinkedHashMap<>();

    /** Records a problem; the first one found for a pointer wins. */
    void add(String pointer, String problem) {
        details.putIfAbsent(pointer, problem);
    }

    void throwIfAny() {
        if (!details.isEmpty()) {
            throw new FlowValidationException(details);
        }
    }

    static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static String element(String path, int index) {
        return path + "[" + index + "]";
    }
}
