package org.unclip.gateway.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One folder with a {@code kustomization.yaml}: the files it names (resources, patches, the env
 * files of its ConfigMap generators) and the Kubernetes objects of its own resource files.
 *
 * <p>YAML is read with Jackson's YAML data format (on the gateway's class path through
 * quarkus-smallrye-openapi).
 */
record Kustomization(Path dir, JsonNode spec) {

    private static final YAMLMapper YAML = new YAMLMapper();

    static Kustomization load(Path dir) {
        List<JsonNode> docs = readYaml(dir.resolve("kustomization.yaml"));
        if (docs.size() != 1) {
            throw new IllegalStateException(dir + "/kustomization.yaml must hold one document, not " + docs.size());
        }
        return new Kustomization(dir, docs.get(0));
    }

    /** Every non-empty document of a YAML file. */
    static List<JsonNode> readYaml(Path file) {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            List<JsonNode> docs = new ArrayList<>();
            for (JsonNode doc : it.readAll()) {
                if (doc != null && !doc.isMissingNode() && !doc.isNull() && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** KEY=VALUE lines of an env file (comments and blank lines skipped), in order. */
    static Map<String, String> readEnvFile(Path file) {
        Map<String, String> env = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                int eq = trimmed.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalStateException(file + ": not KEY=VALUE: " + line);
                }
                env.put(trimmed.substring(0, eq), trimmed.substring(eq + 1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return env;
    }

    /** The {@code resources} entries as written (files or folders, relative to {@link #dir()}). */
    List<String> resources() {
        return texts(spec.path("resources"));
    }

    /** The {@code resources} entries that are files in this folder. */
    List<Path> resourceFiles() {
        return resources().stream().map(dir::resolve).filter(Files::isRegularFile).toList();
    }

    /** The {@code resources} entries that are other kustomization folders. */
    List<Path> resourceFolders() {
        return resources().stream().map(dir::resolve).filter(Files::isDirectory).toList();
    }

    /** The patches: each with its file (if any) and its target (possibly empty). */
    List<Patch> patches() {
        List<Patch> out = new ArrayList<>();
        for (JsonNode patch : spec.path("patches")) {
            Path file = patch.hasNonNull("path") ? dir.resolve(patch.get("path").asText()) : null;
            String inline = patch.hasNonNull("patch") ? patch.get("patch").asText() : null;
            out.add(new Patch(file, inline, patch.path("target")));
        }
        return out;
    }

    /** ConfigMap generators: name, behavior (create or merge) and env files. */
    List<Generator> configMapGenerators() {
        List<Generator> out = new ArrayList<>();
        for (JsonNode generator : spec.path("configMapGenerator")) {
            List<Path> envs = texts(generator.path("envs")).stream().map(dir::resolve).toList();
            boolean localConfig = generator.path("options").path("annotations")
                    .path("config.kubernetes.io/local-config").asText().equals("true");
            out.add(new Generator(
                    generator.path("name").asText(), generator.path("behavior").asText("create"), envs, localConfig));
        }
        return out;
    }

    /** The Kubernetes objects of this folder's own resource files. */
    List<JsonNode> objects() {
        List<JsonNode> out = new ArrayList<>();
        for (Path file : resourceFiles()) {
            out.addAll(readYaml(file));
        }
        return out;
    }

    /** Every file this kustomization names by path (resources, patches, env files). */
    List<Path> namedFiles() {
        List<Path> named = new ArrayList<>(resourceFiles());
        patches().stream().map(Patch::file).filter(Objects::nonNull).forEach(named::add);
        configMapGenerators().forEach(g -> named.addAll(g.envs()));
        return named;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }

    /** A patch: a file or inline text, applied to the objects its target selects. */
    record Patch(Path file, String inline, JsonNode target) {

        /** The JSON 6902 operations of a patch file that holds a list, else none. */
        List<JsonNode> jsonOperations() {
            if (file == null) {
                return List.of();
            }
            List<JsonNode> docs = readYaml(file);
            List<JsonNode> ops = new ArrayList<>();
            // Jackson's readValues yields the elements of a root-level list one by one
            for (JsonNode doc : docs) {
                if (doc.isArray()) {
                    doc.forEach(ops::add);
                } else if (doc.has("op") && doc.has("path")) {
                    ops.add(doc);
                }
            }
            return ops;
        }
    }

    /**
     * A ConfigMap generator: {@code behavior} is create, merge or replace. A local-config one
     * ({@code config.kubernetes.io/local-config: "true"}) only holds parameters for the
     * kustomization's replacements and is not applied.
     */
    record Generator(String name, String behavior, List<Path> envs, boolean localConfig) {

        Map<String, String> entries() {
            Map<String, String> env = new LinkedHashMap<>();
            envs.forEach(file -> env.putAll(readEnvFile(file)));
            return env;
        }
    }
}
