package org.unclip.prior;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import org.unclip.core.onnx.ExecutionProvider;

/** Configuration of the prior stage ({@code unclip.*}). */
@ConfigMapping(prefix = "unclip")
interface PriorConfig {

    Family family();

    Onnx onnx();

    interface Family {
        /** The model family folder; relative paths resolve against the working directory. */
        @WithDefault("models/shapes-tiny")
        String dir();
    }

    interface Onnx {
        /** Intra-op threads of the ONNX Runtime session. */
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
