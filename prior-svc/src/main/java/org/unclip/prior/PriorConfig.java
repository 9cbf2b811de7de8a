package org.unclip.prior;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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
    }
}
