package net.driploop.flow.definition;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.Set;

/**
 * The fields a condition or {@code wait_until} may name, and how they are read from an evaluation
 * context shaped {@code {user: {email, status, metadata}, event: {name, metadata}, purchase: {…}}}.
 */
public final class Fields {

    static final String USER_METADATA = "user.metadata.";
    static final String EVENT_METADATA = "event.metadata.";
    static final int MAX_METADATA_KEY_LENGTH = 100;

    private static final Set<String> PLAIN = Set.of(
            "user.email", "user.status", "event.name",
            "purchase.purchaseDate", "purchase.purchaseEndDate", "purchase.productId", "purchase.amount",
            "purchase.currency");
    private static final Set<String> DATES = Set.of("purchase.purchaseEndDate", "purchase.purchaseDate");

    private Fields() {
    }

    /**
     * The value of a field in the context, or null when it is missing or JSON null. A metadata key is
     * everything after {@code metadata.}, dots included: metadata is flat.
     */
    public static JsonNode resolve(JsonNode context, String field) {
        JsonNode value;
        if (field.startsWith(USER_METADATA)) {
            value = context.path("user").path("metadata").get(field.substring(USER_METADATA.length()));
        } else if (field.startsWith(EVENT_METADATA)) {
            value = context.path("event").path("metadata").get(field.substring(EVENT_METADATA.length()));
        } else {
            int dot = field.indexOf('.');
            value = dot < 0 ? null : context.path(field.substring(0, dot)).get(field.substring(dot + 1));
        }
        return value == null || value.isNull() || value.isMissingNode() ? null : value;
    }

    /** What is wrong with a condition field, if anything. */
    static Optional<String> conditionFieldProblem(String field) {
        if (field.startsWith(USER_METADATA)) {
            return metadataKeyProblem(field.substring(USER_METADATA.length()));
        }
        if (field.startsWith(EVENT_METADATA)) {
            return metadataKeyProblem(field.substring(EVENT_METADATA.length()));
        }
        return PLAIN.contains(field) ? Optional.empty() : Optional.of("must be one of user.email, user.status, "
                + "user.metadata.<key>, event.name, event.metadata.<key>, purchase.purchaseDate, "
                + "purchase.purchaseEndDate, purchase.productId, purchase.amount, purchase.currency");
    }

    /** What is wrong with the {@code at} field of a {@code wait_until} step, if anything. */
    static Optional<String> dateFieldProblem(String field) {
        if (field.startsWith(USER_METADATA)) {
            return metadataKeyProblem(field.substring(USER_METADATA.length()));
        }
        return DATES.contains(field) ? Optional.empty()
                : Optional.of("must be purchase.purchaseEndDate, purchase.purchaseDate or user.metadata.<key>");
    }

    private static Optional<String> metadataKeyProblem(String key) {
        return key.isEmpty() || key.length() > MAX_METADATA_KEY_LENGTH
                ? Optional.of("must name a metadata key of 1 to " + MAX_METADATA_KEY_LENGTH + " characters")
                : Optional.empty();
    }
}
