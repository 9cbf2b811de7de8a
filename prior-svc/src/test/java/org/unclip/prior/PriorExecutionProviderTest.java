package org.unclip.prior;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import org.junit.jupiter.api.Test;
import org.unclip.core.onnx.OnnxModelException;

/**
 * {@code unclip.onnx.execution-provider} reaches the prior's session: with the CPU-only ONNX Runtime
 * artifact (CI's), a stage set to {@code cuda} refuses to start with a clear message instead of
 * running on the CPU, and an unknown provider is a config error. The stage is built directly from
 * its config (the constructor fails before it touches batching or metrics).
 */
class PriorExecutionProviderTest {

    private static PriorConfig config(String provider, int device) {
        String dir = TestRequests.familyDir().toString();
        return new PriorConfig() {
            @Override
            public Family family() {
                return () -> dir;
            }

            @Override
            public Onnx onnx() {
                return new Onnx() {
                    @Override
                    public int threads() {
                        return 1;
                    }

                    @Override
                    public String executionProvider() {
                        return provider;
                    }

                    @Override
                    public int cudaDevice() {
                        return device;
                    }
                };
            }
        };
    }

    @Test
    void cudaOnTheCpuBuildRefusesToStart() {
        assumeThat(OrtEnvironment.getAvailableProviders()).doesNotContain(OrtProvider.CUDA);
        assertThatThrownBy(() -> new PriorStage(config("cuda", 0), null, null))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageStartingWith("execution provider cuda requested but ONNX Runtime cannot use CUDA device 0"
                        + " for prior.onnx")
                .hasMessageContaining("build the GPU variant (mvn -Pgpu")
                .hasMessageContaining("run on a node with an NVIDIA GPU");
    }

    @Test
    void anUnknownProviderIsAConfigError() {
        assertThatThrownBy(() -> new PriorStage(config("gpu", 0), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unclip.onnx.execution-provider must be 'cpu' or 'cuda', got 'gpu'");
    }
}
