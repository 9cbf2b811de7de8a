package org.unclip.core.family;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A parsed JSON object that knows where it sits in the document, so that every error names the
 * full key path (for example {@code prior.schedule.beta_schedule}).
 */
final class JsonObject {

    private final String path;
    private final Map<String, Object> map;
    private final Consumer<String> keysRead;

    private JsonObject(String path, Map<String, Object> map, Consumer<String> keysRead) {
        this.path = path;
        this.map = map;
        this.keysRead = keysRead;
    }

    static JsonObject root(Object parsed) {
        return root(parsed, key -> {});
    }

    /** The document's root; {@code keysRead} is told the full path of every key looked up. */
    @SuppressWarnings("unchecked")
    static JsonObject root(Object parsed, Consumer<String> keysRead) {
        if (!(parsed instanceof Map<?, ?> m)) {
            throw new ModelFamilyException("the document must be a JSON object");
        }
        return new JsonObject("", (Map<String, Object>) m, keysRead);
    }

    String keyPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The object's keys, in file order. */
    Set<String> keys() {
        return Collections.unmodifiableSet(map.keySet());
    }

    boolean has(String key) {
        keysRead.accept(keyPath(key));
        return map.containsKey(key) && map.get(key) != null;
    }

    private Object required(String key) {
        keysRead.accept(keyPath(key));
        Object v = map.get(key);
        if (v == null) {
            throw new ModelFamilyException("missing key '" + keyPath(key) + "'");
        }
        return v;
    }

    private ModelFamilyException wrongType(String key, String expected, Object got) {
        return new ModelFamilyException("key '" + keyPath(key) + "' must be " + expected + ", got "
                + (got instanceof String s ? "\"" + s + "\"" : String.valueOf(got)));
    }

    String string(String key) {
        Object v = required(key);
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(key, "a string", v);
    }

    Optional<String> optString(String key) {
        return has(key) ? Optional.of(string(key)) : Optional.empty();
    }

    boolean bool(String key) {
        Object v = required(key);
        if (v instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, "true or false", v);
    }

    double number(String key) {
        Object v = required(key);
        if (v instanceof Double d) {
            return d;
        }
        throw wrongType(key, "a number", v);
    }

    double optNumber(String key, double fallback) {
        return has(key) ? number(key) : fallback;
    }

    int integer(String key) {
        double d = number(key);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw wrongType(key, "an integer", d);
        }
        return (int) d;
    }

    /** A positive integer. */
    int positive(String key) {
        int n = integer(key);
        if (n <= 0) {
            throw wrongType(key, "a positive integer", n);
        }
        return n;
    }

    @SuppressWarnings("unchecked")
    JsonObject object(String key) {
        Object v = required(key);
        if (v instanceof Map<?, ?> m) {
            return new JsonObject(keyPath(key), (Map<String, Object>) m, keysRead);
        }
        throw wrongType(key, "an object", v);
    }

    List<JsonObject> objects(String key) {
        List<?> list = list(key);
        List<JsonObject> out = new java.util.ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw wrongType(key + "[" + i + "]", "an object", list.get(i));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> mm = (Map<String, Object>) m;
            out.add(new JsonObject(keyPath(key) + "[" + i + "]", mm, keysRead));
        }
        return out;
    }

    private List<?> list(String key) {
        Object v = required(key);
        if (v instanceof List<?> l) {
            return l;
        }
        throw wrongType(key, "an array", v);
    }

    /** An array of numbers as float32 (finite). */
    float[] floats(String key) {
        List<?> list = list(key);
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Double d) || !Double.isFinite(d)) {
                throw wrongType(key + "[" + i + "]", "a finite number", list.get(i));
            }
            out[i] = d.floatValue();
        }
        return out;
    }

    /** An array of integers. */
    int[] integers(String key) {
        List<?> list = list(key);
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Double d) || d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw wrongType(key + "[" + i + "]", "an integer", list.get(i));
            }
            out[i] = d.intValue();
        }
        return out;
    }

    ModelFamilyException invalid(String key, String problem) {
        return new ModelFamilyException("key '" + keyPath(key) + "' " + problem);
    }
}
