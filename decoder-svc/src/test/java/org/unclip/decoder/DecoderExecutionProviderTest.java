package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import org.junit.jupiter.api.Test;
import org.unclip.core.onnx.OnnxModelException;

/**
 * {@code unclip.onnx.execution-provider} reaches the decoder's sessions (deploy/examples/gpu sets
 * {@code cuda} on this stage): with the CPU-only ONNX Runtime artifact (CI's), the stage refuses to
 * start with a clear message instead of running on the CPU. The stage is built directly from its
 * config (the constructor fails before it touches batching or metrics).
 */
class DecoderExecutionProviderTest {

    private static DecoderConfig config(String provider, int device) {
        String dir = TestRequests.familyDir().toString();
        return new DecoderConfig() {
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
                    public int aloneThreads() {
                        return 0;
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
        assertThatThrownBy(() -> new DecoderStage(config("CUDA", 1), null, null))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageStartingWith("execution provider cuda requested but ONNX Runtime cannot use CUDA device 1"
                        + " for text_proj.onnx")
                .hasMessageContaining("providers in this build: [CPU]")
                .hasMessageContaining("run on a node with an NVIDIA GPU");
    }

    @Test
    void aNegativeDeviceIsAConfigError() {
        assertThatThrownBy(() -> new DecoderStage(config("cuda", -1), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unclip.onnx.cuda-device must be >= 0, got -1");
    }
}
