package net.driploop.flow.definition;

import io.quarkus.qute.Engine;
import io.quarkus.qute.TemplateException;

import java.util.Optional;

/** Checks that template text parses with Qute, the engine that renders it, e.g. {@code Hi {user.metadata.name}}. */
final class Templates {

    private static final Engine ENGINE = Engine.builder().addDefaults().build();
    private static final String PARSER_PREFIX = "Parser error: ";

    private Templates() {
    }

    /** The parser's complaint about a template, with its line when the template has several, if it does not parse. */
    static Optional<String> problem(String template) {
        try {
            ENGINE.parse(template);
            return Optional.empty();
        } catch (TemplateException e) {
            String message = String.valueOf(e.getMessage());
            if (message.startsWith(PARSER_PREFIX)) {
                message = message.substring(PARSER_PREFIX.length());
            }
            String line = e.getOrigin() != null && template.indexOf('\n') >= 0
                    ? " (line " + e.getOrigin().getLine() + ")" : "";
            return Optional.of("is not a valid template" + line + ": " + message);
        }
    }
}
