package org.unclip.decoder;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Configuration of the decoder stage ({@code unclip.*}). */
@ConfigMapping(prefix = "unclip")
interface DecoderConfig {

    Family family();

    Onnx onnx();

    interface Family {
        /** The model family folder; relative paths resolve against the working directory. */
        @WithDefault("models/shapes-tiny")
        String dir();
    }

    interface Onnx {
        /** Intra-op threads of each ONNX Runtime session. */
        @WithDefault("2")
        int threads();
    }
}
