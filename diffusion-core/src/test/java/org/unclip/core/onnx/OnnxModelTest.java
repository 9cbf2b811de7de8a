package org.unclip.core.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/** Against src/test/resources/onnx/tiny.onnx: y = x·t + m, s = Σ x (see make_tiny_onnx.py). */
class OnnxModelTest {

    private static OnnxModel model;

    @BeforeAll
    static void load() throws Exception {
        model = OnnxModel.load(Path.of(OnnxModelTest.class.getResource("/onnx/tiny.onnx").toURI()), 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Map<String, Object> inputs(float[] x, long[] t, boolean[] m) {
        int b = t.length;
        return Map.of("x", Tensor.of(x, b, 3), "t", LongTensor.of(t, b), "m", BoolTensor.of(m, b, 3));
    }

    @Test
    void describesItsInputsAndOutputs() {
        assertThat(model.inputNames()).containsExactly("x", "t", "m");
        assertThat(model.outputNames()).containsExactly("y", "s");
        assertThat(model.inputShape("x")).containsExactly(-1, 3);
        assertThat(model.describeInputs()).isEqualTo("x float32[-1, 3], t int64[-1], m bool[-1, 3]");
    }

    @Test
    void runsFloatInt64AndBoolInputs() {
        Map<String, Tensor> out = model.run(inputs(new float[] {1, 2, 3, -1, 0.5f, 0}, new long[] {2, 10},
                new boolean[] {true, false, false, false, false, true}));
        assertThat(out.keySet()).containsExactly("y", "s");
        assertThat(out.get("y").shape()).containsExactly(2, 3);
        assertThat(out.get("y").data()).containsExactly(3, 4, 6, -10, 5, 1);
        assertThat(out.get("s").data()).containsExactly(6, -0.5f);
    }

    @Test
    void explainsMissingUnknownAndMisshapenInputs() {
        assertThatThrownBy(() -> model.run(Map.of("x", Tensor.zeros(1, 3), "t", LongTensor.filled(1, 1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing input 'm'")
                .hasMessageContaining("x float32[-1, 3], t int64[-1], m bool[-1, 3]");
        assertThatThrownBy(() -> model.run(Map.of("x", Tensor.zeros(1, 3), "t", LongTensor.filled(1, 1),
                "m", BoolTensor.of(new boolean[3], 1, 3), "extra", Tensor.zeros(1))))
                .hasMessageContaining("unknown input 'extra'");
        assertThatThrownBy(() -> model.run(Map.of("x", Tensor.zeros(1, 4), "t", LongTensor.filled(1, 1),
                "m", BoolTensor.of(new boolean[3], 1, 3))))
                .hasMessageContaining("input 'x' is float32[1, 4] but the graph expects float32[-1, 3]");
        assertThatThrownBy(() -> model.run(Map.of("x", Tensor.zeros(1, 3), "t", Tensor.zeros(1),
                "m", BoolTensor.of(new boolean[3], 1, 3))))
                .hasMessageContaining("input 't' is float32[1] but the graph expects int64[-1]");
        assertThatThrownBy(() -> model.run(Map.of("x", new float[3], "t", LongTensor.filled(1, 1),
                "m", BoolTensor.of(new boolean[3], 1, 3))))
                .hasMessageContaining("must be a Tensor, LongTensor or BoolTensor");
    }

    @Test
    void batchRowsDoNotDependOnTheirNeighbours() throws Exception {
        Tensor alone = model.run(inputs(new float[] {0.1f, 0.2f, 0.3f}, new long[] {7},
                new boolean[] {true, true, false})).get("y");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Tensor>> futures = new java.util.ArrayList<>();
            for (int k = 0; k < 16; k++) {
                futures.add(pool.submit(() -> model.run(inputs(new float[] {0.1f, 0.2f, 0.3f, 5, 6, 7},
                        new long[] {7, 3}, new boolean[] {true, true, false, true, true, true})).get("y")));
            }
            for (Future<Tensor> f : futures) {
                assertThat(f.get().row(0)).isEqualTo(alone);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void refusesMissingFilesAndClosedModels() throws Exception {
        assertThatThrownBy(() -> OnnxModel.load(Path.of("/nonexistent/prior.onnx"), 1))
                .isInstanceOf(OnnxModelException.class).hasMessageContaining("/nonexistent/prior.onnx");
        OnnxModel other = OnnxModel.load(Path.of(OnnxModelTest.class.getResource("/onnx/tiny.onnx").toURI()), 0);
        other.close();
        other.close();
        assertThatThrownBy(() -> other.run(inputs(new float[3], new long[] {1}, new boolean[3])))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
