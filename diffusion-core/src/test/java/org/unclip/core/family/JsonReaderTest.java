package org.unclip.core.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReaderTest {

    @Test
    void readsEveryKindOfValue() {
        Object v = JsonReader.parse(" {\"a\": [1, -2.5e3, 0.125, true, false, null], \"b\": {\"c\": \"x\\\"y\\u00e9\\n\"},"
                + " \"d\": []}\n");
        assertThat(v).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        assertThat(m.keySet()).containsExactly("a", "b", "d");
        assertThat(m.get("a")).isEqualTo(Arrays.asList(1.0, -2500.0, 0.125, true, false, null));
        assertThat(((Map<?, ?>) m.get("b")).get("c")).isEqualTo("x\"yé\n");
        assertThat((List<?>) m.get("d")).isEmpty();
    }

    @Test
    void keepsFloat32ValuesExact() {
        float f = 0.1f + 0.2f;
        Object v = JsonReader.parse("[" + f + "]");
        assertThat(((Double) ((List<?>) v).get(0)).floatValue()).isEqualTo(f);
    }

    @Test
    void reportsWhereTheTextIsBroken() {
        for (String bad : Arrays.asList("{\"a\": 1,}", "{\"a\" 1}", "[1 2]", "{\"a\": 01}", "{\"a\": 1} x", "\"abc",
                "{\"a\": tru}", "{\"a\": 1, \"a\": 2}", "[1.]", "{}}")) {
            assertThatThrownBy(() -> JsonReader.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid JSON at line 1");
        }
        assertThatThrownBy(() -> JsonReader.parse("{\n  \"a\": ?\n}")).hasMessageContaining("line 2, column 8");
    }
}
