package org.unclip.textencoder;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

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
    }
}
