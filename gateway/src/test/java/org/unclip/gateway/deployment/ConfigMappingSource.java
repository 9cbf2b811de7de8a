package org.unclip.gateway.deployment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The keys and {@code @WithDefault}s of the {@code @ConfigMapping} interfaces of a module that is
 * not on the gateway's class path (a stage service), read from their Java source: the module's
 * own and those of the repository modules it depends on (the stages get {@code unclip.batching.*}
 * from stage-runtime's {@code BatchingConfig}).
 *
 * <p>Understands what config mappings here are made of: abstract no-argument methods, optionally
 * with {@code @WithDefault} and {@code @WithName}, and nested interfaces as groups. Default and
 * static methods are skipped.
 */
final class ConfigMappingSource {

    private static final Pattern MAPPING = Pattern.compile("@ConfigMapping\\s*\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"\\s*\\)");
    private static final Pattern INTERFACE = Pattern.compile("\\binterface\\s+(\\w+)");
    private static final Pattern WITH_DEFAULT = Pattern.compile("@WithDefault\\s*\\(\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*\\)");
    private static final Pattern WITH_NAME = Pattern.compile("@WithName\\s*\\(\\s*\"([^\"]+)\"\\s*\\)");
    private static final Pattern METHOD = Pattern.compile("([\\w.<>,?\\[\\]\\s]+?)\\s+(\\w+)\\s*\\(\\s*\\)\\s*$");

    private ConfigMappingSource() {
    }

    /** Keys (kebab-case, as SmallRye names them) and defaults (null: none) of a module's config mappings. */
    static Map<String, String> keysOf(Path root, String module) {
        Map<String, String> keys = new TreeMap<>();
        for (Path dir : moduleAndDependencies(root, module)) {
            Path sources = dir.resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                    String text = Files.readString(file);
                    if (text.contains("@ConfigMapping")) {
                        keys.putAll(parse(text));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + sources, e);
            }
        }
        return keys;
    }

    /** The keys of every {@code @ConfigMapping} interface declared in one source file. */
    static Map<String, String> parse(String source) {
        String code = stripComments(source);
        Map<String, String> keys = new LinkedHashMap<>();
        Matcher mapping = MAPPING.matcher(code);
        while (mapping.find()) {
            Matcher declaration = INTERFACE.matcher(code);
            if (!declaration.find(mapping.end())) {
                throw new IllegalStateException("@ConfigMapping(prefix = \"" + mapping.group(1) + "\") on no interface");
            }
            int open = code.indexOf('{', declaration.end());
            Body body = Body.parse(code, open);
            collect(mapping.group(1), body, keys);
        }
        return keys;
    }

    private static void collect(String prefix, Body body, Map<String, String> out) {
        for (String member : body.members) {
            if (member.matches("(?s).*\\b(default|static)\\b.*")) {
                continue;
            }
            Matcher withName = WITH_NAME.matcher(member);
            Matcher withDefault = WITH_DEFAULT.matcher(member);
            String declaration = member.replaceAll("@\\w+(\\s*\\((?:[^()\"]|\"(?:[^\"\\\\]|\\\\.)*\")*\\))?", " ").strip();
            Matcher method = METHOD.matcher(declaration);
            if (!method.find()) {
                throw new IllegalStateException("not a config mapping method: " + member.strip());
            }
            String type = method.group(1).replaceAll("\\b(public|abstract)\\b", "").strip();
            String name = withName.find() ? withName.group(1) : kebab(method.group(2));
            String key = prefix + "." + name;
            Body group = body.nested.get(type);
            if (group != null) {
                collect(key, group, out);
            } else {
                out.put(key, withDefault.find() ? unescape(withDefault.group(1)) : null);
            }
        }
    }

    /** An interface body: its abstract members (text up to each ';') and its nested interfaces by name. */
    private record Body(List<String> members, Map<String, Body> nested, int end) {

        /** Parses the body whose '{' is at {@code open}. */
        static Body parse(String code, int open) {
            List<String> members = new ArrayList<>();
            Map<String, Body> nested = new LinkedHashMap<>();
            StringBuilder statement = new StringBuilder();
            int i = open + 1;
            while (i < code.length()) {
                char c = code.charAt(i);
                if (c == '"') {
                    int end = endOfString(code, i);
                    statement.append(code, i, end);
                    i = end;
                    continue;
                }
                if (c == '}') {
                    return new Body(members, nested, i + 1);
                }
                if (c == ';') {
                    if (!statement.toString().isBlank()) {
                        members.add(statement.toString());
                    }
                    statement.setLength(0);
                } else if (c == '{') {
                    Matcher inner = INTERFACE.matcher(statement);
                    if (inner.find()) {
                        Body body = parse(code, i);
                        nested.put(inner.group(1), body);
                        i = body.end;
                    } else {
                        i = skipBlock(code, i); // a default method's body
                    }
                    statement.setLength(0);
                    continue;
                } else {
                    statement.append(c);
                }
                i++;
            }
            throw new IllegalStateException("unbalanced braces in a config mapping");
        }
    }

    private static int skipBlock(String code, int open) {
        int depth = 0;
        for (int i = open; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '"') {
                i = endOfString(code, i) - 1;
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i + 1;
            }
        }
        throw new IllegalStateException("unbalanced braces in a config mapping");
    }

    /** The index after the string literal starting at {@code quote}. */
    private static int endOfString(String code, int quote) {
        for (int i = quote + 1; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i + 1;
            }
        }
        throw new IllegalStateException("unterminated string literal");
    }

    /** The source without comments; string literals (which may hold "//") are kept. */
    static String stripComments(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (c == '"') {
                int end = endOfString(source, i);
                out.append(source, i, end);
                i = end;
            } else if (c == '\'' && i + 2 < source.length()) {
                int end = source.indexOf('\'', i + (source.charAt(i + 1) == '\\' ? 3 : 2)) + 1;
                out.append(source, i, end);
                i = end;
            } else if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                i = end < 0 ? source.length() : end;
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? source.length() : end + 2;
                out.append(' ');
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String unescape(String literal) {
        return literal.replace("\\\"", "\"").replace("\\\\", "\\");
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** A module's folder and those of the repository modules it depends on, transitively. */
    static List<Path> moduleAndDependencies(Path root, String module) {
        Map<String, Path> modules = repositoryModules(root);
        Set<Path> out = new LinkedHashSet<>();
        Deque<Path> todo = new ArrayDeque<>(List.of(root.resolve(module)));
        while (!todo.isEmpty()) {
            Path dir = todo.pop();
            if (!out.add(dir)) {
                continue;
            }
            for (String dependency : dependencies(dir.resolve("pom.xml"))) {
                Path found = modules.get(dependency);
                if (found != null) {
                    todo.add(found);
                }
            }
        }
        return List.copyOf(out);
    }

    /** artifactId to folder of every module the root pom lists. */
    private static Map<String, Path> repositoryModules(Path root) {
        Map<String, Path> modules = new LinkedHashMap<>();
        Element project = pom(root.resolve("pom.xml"));
        for (Element modulesElement : children(project, "modules")) {
            for (Element moduleElement : children(modulesElement, "module")) {
                Path dir = root.resolve(moduleElement.getTextContent().strip());
                Element child = pom(dir.resolve("pom.xml"));
                children(child, "artifactId").forEach(a -> modules.put(a.getTextContent().strip(), dir));
            }
        }
        return modules;
    }

    private static List<String> dependencies(Path pom) {
        List<String> out = new ArrayList<>();
        for (Element dependencies : children(pom(pom), "dependencies")) {
            for (Element dependency : children(dependencies, "dependency")) {
                boolean test = children(dependency, "scope").stream().anyMatch(s -> s.getTextContent().strip().equals("test"));
                if (!test) {
                    children(dependency, "artifactId").forEach(a -> out.add(a.getTextContent().strip()));
                }
            }
        }
        return out;
    }

    private static Element pom(Path file) {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile()).getDocumentElement();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node node = nodes.item(i);
            if (node instanceof Element element && element.getTagName().equals(name)) {
                out.add(element);
            }
        }
        return out;
    }
}
