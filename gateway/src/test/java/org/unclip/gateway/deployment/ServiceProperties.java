package org.unclip.gateway.deployment;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one service reads: the keys and values of its {@code application.properties} (without
 * {@code %profile.} keys), plus the keys of its {@code @ConfigMapping} interfaces: from the
 * classes where they are on this class path (the gateway's), else from their source (a stage's
 * own and stage-runtime's {@code BatchingConfig}, see {@link ConfigMappingSource}). Keys are
 * matched to environment variables by Quarkus' rule: upper-case, every character other than a
 * letter or digit becomes '_'.
 */
record ServiceProperties(String module, Map<String, String> values, Map<String, String> mappedDefaults) {

    static ServiceProperties load(Path root, String module, Class<?>... mappings) {
        Map<String, String> values = readProperties(root, module);
        Map<String, String> mapped = new TreeMap<>();
        for (Class<?> mapping : mappings) {
            ConfigMapping annotation = mapping.getAnnotation(ConfigMapping.class);
            if (annotation == null) {
                throw new IllegalArgumentException(mapping + " is not a @ConfigMapping");
            }
            collectKeys(annotation.prefix(), mapping, mapping, mapped);
        }
        return new ServiceProperties(module, values, mapped);
    }

    /**
     * A service whose config mappings are not on this class path: their keys come from the
     * {@code @ConfigMapping} sources of the module and of the repository modules it depends on.
     */
    static ServiceProperties loadFromSources(Path root, String module) {
        return new ServiceProperties(module, readProperties(root, module), ConfigMappingSource.keysOf(root, module));
    }

    private static Map<String, String> readProperties(Path root, String module) {
        Path file = root.resolve(module).resolve("src/main/resources/application.properties");
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        Map<String, String> values = new TreeMap<>();
        properties.stringPropertyNames().stream()
                .filter(key -> !key.startsWith("%"))
                .forEach(key -> values.put(key, properties.getProperty(key)));
        return values;
    }

    /** The environment variable Quarkus maps to a property key. */
    static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Every key this service knows: its properties file's and its config mappings'. */
    Set<String> keys() {
        Set<String> keys = new TreeSet<>(values.keySet());
        keys.addAll(mappedDefaults.keySet());
        return keys;
    }

    /** A key's default: its value in the properties file, else its mapping's {@code @WithDefault}. */
    Optional<String> defaultValue(String key) {
        return Optional.ofNullable(values.containsKey(key) ? values.get(key) : mappedDefaults.get(key));
    }

    /** The property an environment variable sets, if it names one of {@link #keys()}. */
    Optional<String> keyOfEnv(String env) {
        return keys().stream().filter(key -> envName(key).equals(env)).findFirst();
    }

    /** A key's value once {@code env} (a container's environment) is applied over the file. */
    Optional<String> effective(String key, Map<String, String> env) {
        String fromEnv = env.get(envName(key));
        return Optional.ofNullable(fromEnv != null ? fromEnv : values.get(key));
    }

    int effectiveInt(String key, Map<String, String> env) {
        return Integer.parseInt(effective(key, env)
                .orElseThrow(() -> new AssertionError(module + " configures no " + key)));
    }

    /** Kebab-case keys (SmallRye's default naming) and defaults of a config mapping interface, recursively. */
    private static void collectKeys(String prefix, Class<?> type, Class<?> mapping, Map<String, String> out) {
        for (Method method : type.getMethods()) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            WithName withName = method.getAnnotation(WithName.class);
            String name = withName != null ? withName.value() : kebab(method.getName());
            String key = prefix + "." + name;
            Class<?> returned = method.getReturnType();
            if (returned.isInterface() && outermost(returned) == mapping) {
                collectKeys(key, returned, mapping, out);
            } else {
                WithDefault withDefault = method.getAnnotation(WithDefault.class);
                out.put(key, withDefault == null ? null : withDefault.value());
            }
        }
    }

    /** The top-level class a (possibly nested) class is declared in: groups of a mapping are its nested interfaces. */
    private static Class<?> outermost(Class<?> type) {
        Class<?> outer = type;
        while (outer.getDeclaringClass() != null) {
            outer = outer.getDeclaringClass();
        }
        return outer;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
