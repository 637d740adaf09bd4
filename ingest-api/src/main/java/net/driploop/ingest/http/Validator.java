package net.driploop.ingest.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.driploop.ingest.config.IngestConfig;
import net.driploop.kit.http.ApiException;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads and checks the fields of one request body, collecting every problem by field name so that a
 * single 422 {@code validation_error} names all of them.
 */
public final class Validator {

    public static final int MAX_ID_LENGTH = 255;
    public static final int MAX_EVENT_NAME_LENGTH = 100;
    private static final int MAX_EMAIL_LENGTH = 254;
    private static final Pattern EMAIL = Pattern.compile("^[^@\\s\"(),:;<>\\[\\\\\\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$");
    private static final Pattern CURRENCY = Pattern.compile("^[A-Za-z]{3}$");

    private final ObjectNode body;
    private final IngestConfig.Limits limits;
    private final Map<String, String> errors = new LinkedHashMap<>();

    public Validator(ObjectNode body, IngestConfig.Limits limits) {
        this.body = body;
        this.limits = limits;
    }

    /** A required non-empty string of at most {@code maxLength} characters. */
    public String requiredString(String field, int maxLength) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            errors.put(field, "is required");
            return null;
        }
        return string(field, node, maxLength);
    }

    /** An optional non-empty string of at most {@code maxLength} characters; null when absent. */
    public String optionalString(String field, int maxLength) {
        JsonNode node = body.get(field);
        return node == null || node.isNull() ? null : string(field, node, maxLength);
    }

    public String optionalEmail(String field) {
        String value = optionalString(field, MAX_EMAIL_LENGTH);
        if (value != null && !EMAIL.matcher(value).matches()) {
            errors.put(field, "must be a valid email address");
            return null;
        }
        return value;
    }

    /** A metadata object of strings, numbers and booleans; null when absent and not required. */
    public Map<String, Object> metadata(String field, boolean required) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                errors.put(field, "is required");
            }
            return null;
        }
        if (!node.isObject()) {
            errors.put(field, "must be an object of strings, numbers and booleans");
            return null;
        }
        if (required && node.isEmpty()) {
            errors.put(field, "must set at least one key");
            return null;
        }
        if (node.size() > limits.metadataKeys()) {
            errors.put(field, "must have at most " + limits.metadataKeys() + " keys");
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> entry = fields.next();
            String key = entry.getKey();
            JsonNode value = entry.getValue();
            String path = field + "." + key;
            if (key.isEmpty() || key.length() > limits.metadataKeyLength()) {
                errors.put(path, "keys must be 1 to " + limits.metadataKeyLength() + " characters");
            } else if (value.isTextual()) {
                if (value.textValue().length() > limits.metadataValueLength()) {
                    errors.put(path, "must be at most " + limits.metadataValueLength() + " characters");
                } else {
                    values.put(key, value.textValue());
                }
            } else if (value.isNumber()) {
                values.put(key, value.numberValue());
            } else if (value.isBoolean()) {
                values.put(key, value.booleanValue());
            } else {
                errors.put(path, "must be a string, number or boolean");
            }
        }
        return values;
    }

    /** An optional number that is zero or more. */
    public BigDecimal optionalNonNegativeNumber(String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isNumber()) {
            errors.put(field, "must be a number");
            return null;
        }
        BigDecimal value = node.decimalValue();
        if (value.signum() < 0) {
            errors.put(field, "must not be negative");
            return null;
        }
        return value;
    }

    /** An optional ISO-4217-style three-letter code, returned upper-case. */
    public String optionalCurrency(String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || !CURRENCY.matcher(node.textValue()).matches()) {
            errors.put(field, "must be a three-letter currency code, e.g. \"USD\"");
            return null;
        }
        return node.textValue().toUpperCase(java.util.Locale.ROOT);
    }

    /** A date or date-time ({@code 2026-06-09}, {@code 2026-06-09T12:00:00Z}, with an offset or none = UTC). */
    public Instant date(String field, boolean required) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                errors.put(field, "is required");
            }
            return null;
        }
        if (!node.isTextual()) {
            errors.put(field, "must be an ISO-8601 date or date-time string");
            return null;
        }
        Instant parsed = parseDate(node.textValue().trim());
        if (parsed == null) {
            errors.put(field, "must be an ISO-8601 date or date-time, e.g. \"2026-06-09\" or \"2026-06-09T12:00:00Z\"");
        }
        return parsed;
    }

    /** Records a problem found by a cross-field check. */
    public void reject(String field, String problem) {
        errors.putIfAbsent(field, problem);
    }

    public boolean hasError(String field) {
        return errors.containsKey(field);
    }

    /** Throws 422 {@code validation_error} naming every bad field, if there are any. */
    public void throwIfInvalid() {
        if (!errors.isEmpty()) {
            throw ApiException.validation(errors);
        }
    }

    /** Checks a path segment id the same way as a body field. */
    public static void checkPathId(String field, String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_ID_LENGTH) {
            throw ApiException.validation(Map.of(field, "must be 1 to " + MAX_ID_LENGTH + " characters"));
        }
    }

    static Instant parseDate(String text) {
        try {
            if (text.length() == 10) {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e) {
                return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
            }
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private String string(String field, JsonNode node, int maxLength) {
        if (!node.isTextual()) {
            errors.put(field, "must be a string");
            return null;
        }
        String value = node.textValue();
        if (value.isBlank()) {
            errors.put(field, "must not be empty");
            return null;
        }
        if (value.length() > maxLength) {
            errors.put(field, "must be at most " + maxLength + " characters");
            return null;
        }
        return value;
    }
}
