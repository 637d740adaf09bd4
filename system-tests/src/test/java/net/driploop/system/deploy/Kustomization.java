package net.driploop.system.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of kustomize that deploy/k8s uses, read with nothing but the JDK: {@code resources} (files and
 * directories with their own kustomization.yaml), {@code configMapGenerator} literals, {@code images} tags and
 * {@code namespace}. Generated ConfigMaps keep their plain names (kustomize adds a hash suffix and rewrites the
 * references; here the references are checked against the plain names). Anything else in a kustomization is
 * refused, so that this reader cannot silently skip what kubectl would apply.
 */
final class Kustomization {

    private static final Set<String> UNDERSTOOD = Set.of("apiVersion", "kind", "resources", "configMapGenerator",
            "images", "labels", "namespace");

    /** Every resource, generated ConfigMaps included. */
    final List<JsonNode> documents = new ArrayList<>();
    /** Image name → the tag the kustomization sets. */
    final Map<String, String> imageTags = new LinkedHashMap<>();

    private Kustomization() {
    }

    static Kustomization build(Path directory) {
        Kustomization result = new Kustomization();
        result.add(directory);
        return result;
    }

    private void add(Path directory) {
        Path file = directory.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no kustomization.yaml in " + directory);
        }
        JsonNode kustomization = Yaml.document(file);
        if (!"Kustomization".equals(kustomization.path("kind").asText())
                || !"kustomize.config.k8s.io/v1beta1".equals(kustomization.path("apiVersion").asText())) {
            throw new IllegalStateException(file + " is not a kustomize.config.k8s.io/v1beta1 Kustomization");
        }
        for (String field : Yaml.fields(kustomization).keySet()) {
            if (!UNDERSTOOD.contains(field)) {
                throw new IllegalStateException(file + ": '" + field + "' is not understood by this check");
            }
        }
        int first = documents.size();
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = directory.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                add(path);
            } else if (Files.isRegularFile(path)) {
                documents.addAll(Yaml.documents(path));
            } else {
                throw new IllegalStateException(file + ": resource " + resource.asText() + " does not exist");
            }
        }
        for (JsonNode generator : kustomization.path("configMapGenerator")) {
            ObjectNode configMap = Yaml.MAPPER.createObjectNode();
            configMap.put("apiVersion", "v1");
            configMap.put("kind", "ConfigMap");
            configMap.putObject("metadata").put("name", generator.path("name").asText());
            ObjectNode data = configMap.putObject("data");
            for (JsonNode literal : generator.path("literals")) {
                String text = literal.asText();
                int eq = text.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalStateException(file + ": literal without NAME=value: " + text);
                }
                data.put(text.substring(0, eq), text.substring(eq + 1));
            }
            documents.add(configMap);
        }
        for (JsonNode image : kustomization.path("images")) {
            imageTags.put(image.path("name").asText(), image.path("newTag").asText());
        }
        String namespace = kustomization.path("namespace").asText("");
        if (!namespace.isEmpty()) {
            for (JsonNode document : documents.subList(first, documents.size())) {
                if (!"Namespace".equals(document.path("kind").asText())) {
                    ((ObjectNode) document.path("metadata")).put("namespace", namespace);
                }
            }
        }
    }

    /** The one resource of a kind and name. */
    JsonNode get(String kind, String name) {
        List<JsonNode> found = all(kind).stream().filter(d -> name.equals(d.path("metadata").path("name").asText())).toList();
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " " + kind + " named " + name);
        }
        return found.get(0);
    }

    List<JsonNode> all(String kind) {
        return documents.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }
}
