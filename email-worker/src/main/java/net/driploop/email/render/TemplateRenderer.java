package net.driploop.email.render;

import io.quarkus.qute.Engine;
import io.quarkus.qute.Expression;
import io.quarkus.qute.HtmlEscaper;
import io.quarkus.qute.ResultMapper;
import io.quarkus.qute.Results;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateNode;
import io.quarkus.qute.Variant;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders the Qute templates of a command (subject, text, HTML) with its data. A value that is missing or null
 * renders as nothing, never as {@code NOT_FOUND} or an exception text; values in HTML are escaped.
 */
@ApplicationScoped
public class TemplateRenderer {

    private static final int CACHE_SIZE = 1000;

    private final Engine engine = Engine.builder()
            .addDefaults()
            .strictRendering(false)
            .removeStandaloneLines(true)
            .addResultMapper(new Missing())
            .addResultMapper(new HtmlEscaper(List.of(Variant.TEXT_HTML)))
            .build();
    private final Map<String, Template> cache = new ConcurrentHashMap<>();

    /** Renders one template as plain text; null renders as null. */
    public String text(String template, Map<String, Object> data) {
        return render(template, data, Variant.TEXT_PLAIN);
    }

    /** Renders one template as HTML (values escaped); null renders as null. */
    public String html(String template, Map<String, Object> data) {
        return render(template, data, Variant.TEXT_HTML);
    }

    private String render(String template, Map<String, Object> data, String contentType) {
        if (template == null) {
            return null;
        }
        return parsed(template, contentType).data(data == null ? Map.of() : data).render();
    }

    /**
     * The parsed template, from a cache: a flow step sends the same template to many users, and parsing costs
     * more than rendering. The cache is emptied when full (templates of old flow versions fall out).
     */
    private Template parsed(String template, String contentType) {
        String key = contentType + '\n' + template;
        Template parsed = cache.get(key);
        if (parsed == null) {
            parsed = engine.parse(template, Variant.forContentType(contentType));
            if (cache.size() >= CACHE_SIZE) {
                cache.clear();
            }
            cache.put(key, parsed);
        }
        return parsed;
    }

    /** A value that could not be resolved, or is null, renders as the empty string. */
    private static final class Missing implements ResultMapper {

        @Override
        public int getPriority() {
            // before the HTML escaper, which would otherwise escape "NOT_FOUND"
            return DEFAULT_PRIORITY + 100;
        }

        @Override
        public boolean appliesTo(TemplateNode.Origin origin, Object result) {
            return result == null || Results.isNotFound(result);
        }

        @Override
        public String map(Object result, Expression expression) {
            return "";
        }
    }
}
