package org.unclip.textencoder;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import org.unclip.core.onnx.ExecutionProvider;

/** Configuration of the text-encoder stage ({@code unclip.*}). */
@ConfigMapping(prefix = "unclip")
interface StageConfig {

    /** The model family folder; relative paths resolve against the working directory. */
    Family family();

    Onnx onnx();

    /** Most prompts or images one call may carry. */
    @WithDefault("64")
    int maxBatch();

    /** Largest encoded image one EncodeImage call accepts, in bytes. */
    @WithDefault("4194304")
    int maxImageBytes();

    interface Family {
        @WithDefault("models/shapes-tiny")
        String dir();
    }

    interface Onnx {
        /** Intra-op threads of each ONNX Runtime session. */
        @WithDefault("2")
        int threads();

        /**
         * Where ONNX Runtime runs the graphs: {@code cpu}, or {@code cuda} (the GPU build, Maven
         * profile {@code gpu}, on a node with an NVIDIA GPU; start-up fails when it cannot have one).
         */
        @WithDefault("cpu")
        String executionProvider();

        /** The CUDA device id the graphs run on when {@code execution-provider} is {@code cuda}. */
        @WithDefault("0")
        int cudaDevice();

        default ExecutionProvider provider() {
            return ExecutionProvider.of(executionProvider(), cudaDevice());
        }
    }
}
