package org.unclip.core.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * The execution provider setting, against the real ONNX Runtime and the real graphs of
 * {@code models/shapes-tiny}. Where CUDA cannot work (CI runs the CPU-only artifact), asking for it must fail to load.
 */
class ExecutionProviderTest {

    static Path familyDir() {
        String root = System.getProperty("unclip.root");
        Path base = root != null && !root.isBlank() ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
        return base.resolve("models").resolve("shapes-tiny");
    }

    @Test
    void parsesTheTwoProvidersInAnyCase() {
        assertThat(ExecutionProvider.of("cpu", 3)).isEqualTo(ExecutionProvider.CPU);
        assertThat(ExecutionProvider.of(" CUDA ", 1)).isEqualTo(new ExecutionProvider.Cuda(1));
        assertThat(ExecutionProvider.of("cuda", 0).name()).isEqualTo("cuda");
        assertThat(ExecutionProvider.of("cuda", 1)).hasToString("cuda:1");
        assertThat(ExecutionProvider.CPU).hasToString("cpu");
    }

    @Test
    void anyOtherValueIsAClearConfigError() {
        assertThatThrownBy(() -> ExecutionProvider.of("tensorrt", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unclip.onnx.execution-provider must be 'cpu' or 'cuda', got 'tensorrt'");
        assertThatThrownBy(() -> ExecutionProvider.of("", 0))
                .hasMessageContaining("must be 'cpu' or 'cuda', got ''");
        assertThatThrownBy(() -> ExecutionProvider.of("cuda", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unclip.onnx.cuda-device must be >= 0, got -1");
    }

    @Test
    void cpuLoadsAndRunsTheRealGraphs() {
        ModelFamily family = ModelFamily.load(familyDir());
        try (OnnxModel prior = OnnxModel.load(family.prior().graph(), 1, ExecutionProvider.CPU)) {
            assertThat(prior.inputNames()).isNotEmpty();
        }
        try (OnnxModel textProj =
                OnnxModel.load(family.decoder().textProjGraph(), 1, ExecutionProvider.of("cpu", 0))) {
            Map<String, Object> feed = new HashMap<>();
            for (String name : textProj.inputNames()) {
                long[] shape = textProj.inputShape(name).clone();
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shape[i] < 0 ? 1 : shape[i];
                }
                int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                feed.put(name, switch (textProj.inputType(name)) {
                    case "int64" -> LongTensor.of(new long[n], shape);
                    case "bool" -> BoolTensor.of(new boolean[n], shape);
                    default -> Tensor.zeros(shape);
                });
            }
            assertThat(textProj.run(feed)).isNotEmpty();
            assertThat(textProj.calls()).isEqualTo(1);
        }
    }

    /** CI's CPU-only artifact, or the GPU build (-Pgpu) on a machine without an NVIDIA GPU driver. */
    private static boolean cudaCannotWork() {
        return !OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)
                || !Files.exists(Path.of("/dev/nvidiactl"));
    }

    @Test
    void cudaWithoutTheGpuBuildOrAGpuRefusesToLoadWithAClearMessage() {
        assumeThat(cudaCannotWork()).as("no CUDA here").isTrue();
        ModelFamily family = ModelFamily.load(familyDir());
        assertThatThrownBy(() -> OnnxModel.load(family.prior().graph(), 1, new ExecutionProvider.Cuda(0)))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageStartingWith("execution provider cuda requested but ONNX Runtime cannot use CUDA device 0"
                        + " for prior.onnx")
                .hasMessageContaining("providers in this build: " + OrtEnvironment.getAvailableProviders())
                .hasMessageContaining("build the GPU variant (mvn -Pgpu")
                .hasMessageContaining("run on a node with an NVIDIA GPU");
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            assertThatThrownBy(() -> OnnxModel.load(family.prior().graph(), 1, new ExecutionProvider.Cuda(0)))
                    .hasMessageContaining("Failed to find CUDA shared provider; providers in this build: [CPU]");
        }
    }

    @Test
    void cudaFailsTheWholeDecoderStageAndClosesWhatItLoaded() {
        assumeThat(cudaCannotWork()).as("no CUDA here").isTrue();
        ModelFamily family = ModelFamily.load(familyDir());
        assertThatThrownBy(() -> OnnxDecoderStages.load(family, 1, 0, ExecutionProvider.of("cuda", 0)))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("execution provider cuda requested")
                .hasMessageContaining("text_proj.onnx");
        assertThatThrownBy(() -> OnnxPriorStage.load(family, 1, ExecutionProvider.of("cuda", 2)))
                .hasMessageContaining("cannot use CUDA device 2 for prior.onnx");
    }
}
