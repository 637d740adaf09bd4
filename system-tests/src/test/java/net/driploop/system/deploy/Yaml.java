package net.driploop.system.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** YAML documents as Jackson trees, and the configuration names the project's README documents. */
final class Yaml {

    static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

    /** Backticked environment names in a table row, e.g. {@code `DRIPLOOP_RATE_LIMIT_PER_MINUTE`} or {@code `…_KEY_LENGTH`}. */
    private static final Pattern ENV_NAME = Pattern.compile("`(…)?(_?[A-Z][A-Z0-9_]+)`");

    private Yaml() {
    }

    /** Every document of a file (a file with {@code ---} separators holds several); empty documents left out. */
    static List<JsonNode> documents(Path file) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = MAPPER.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode document = it.next();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(document);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("not valid YAML: " + file, e);
        }
        return documents;
    }

    static JsonNode document(Path file) {
        List<JsonNode> documents = documents(file);
        if (documents.size() != 1) {
            throw new IllegalStateException(file + " holds " + documents.size() + " documents, not one");
        }
        return documents.get(0);
    }

    /** A mapping's fields in order. */
    static Map<String, JsonNode> fields(JsonNode node) {
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        if (node != null) {
            node.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue()));
        }
        return fields;
    }

    /**
     * The environment names of the README's "Configuration" table. A name written {@code `…_METADATA_KEY_LENGTH`}
     * continues the previous full name of its row from the segment it starts with.
     */
    static List<String> readmeConfigurationNames() {
        String readme = ServiceConfig.read(ServiceConfig.ROOT.resolve("README.md"));
        int start = readme.indexOf("\n## Configuration");
        int end = readme.indexOf("\n## ", start + 1);
        List<String> names = new ArrayList<>();
        for (String row : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
            if (!row.startsWith("|")) {
                continue;
            }
            String[] cells = row.split("\\|");
            if (cells.length < 3) {
                continue;
            }
            String previous = null;
            Matcher m = ENV_NAME.matcher(cells[2]);
            while (m.find()) {
                String name = m.group(2);
                if (m.group(1) != null) {
                    String firstSegment = name.substring(1, name.indexOf('_', 1) < 0 ? name.length() : name.indexOf('_', 1));
                    int at = previous == null ? -1 : previous.indexOf("_" + firstSegment);
                    if (at < 0) {
                        throw new IllegalStateException("cannot expand …" + name + " in README row: " + row);
                    }
                    name = previous.substring(0, at) + name;
                } else {
                    previous = name;
                }
                names.add(name);
            }
        }
        return names;
    }
}
