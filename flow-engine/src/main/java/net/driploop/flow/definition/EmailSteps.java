package net.driploop.flow.definition;

import java.util.regex.Pattern;

/** Reads the fields of an {@code email} step: templates that parse, a sensible recipient and send limits. */
final class EmailSteps {

    static final int MAX_SUBJECT_LENGTH = 1000;
    static final int MAX_BODY_LENGTH = 200_000;
    private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");

    private EmailSteps() {
    }

    static EmailStep parse(FieldReader reader, String id, String next) {
        String to = reader.template("to", false, 1000);
        // A recipient without any template expression is checked now rather than failing at send time.
        if (to != null && to.indexOf('{') < 0 && !EMAIL.matcher(to.trim()).matches()) {
            reader.reject("to", "must be an email address or a template such as {user.metadata.billingEmail}");
        }
        String subject = reader.template("subject", true, MAX_SUBJECT_LENGTH);
        if (subject != null && (subject.indexOf('\n') >= 0 || subject.indexOf('\r') >= 0)) {
            reader.reject("subject", "must be a single line");
        }
        String text = reader.template("text", false, MAX_BODY_LENGTH);
        String html = reader.template("html", false, MAX_BODY_LENGTH);
        if (!reader.has("text") && !reader.has("html")) {
            reader.reject("text", "text or html is required");
        }
        boolean sendOnce = reader.bool("sendOnce");
        Integer maxCount = reader.integer("maxCount", 1);
        if (sendOnce && maxCount != null && maxCount > 1) {
            reader.reject("maxCount", "contradicts sendOnce: true (at most one email per user)");
        }
        return new EmailStep(id, to, subject, text, html, sendOnce, maxCount, next);
    }
}
