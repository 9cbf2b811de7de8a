package org.unclip.gateway.stages;

/** Told about each step a stage finishes; must not block for long. */
@FunctionalInterface
public interface ProgressListener {

    /**
     * @param stage "text-encoder", "prior", "decoder", "upsampler-1", ...
     * @param step 1-based step just finished; 0 when the stage starts
     * @param totalSteps steps of that stage; 0 when unknown
     */
    void onProgress(String stage, int step, int totalSteps);

    /**
     * A decoder preview of image 0's current x0 prediction, told right after {@link #onProgress}
     * for the same step.
     */
    default void onPreview(String stage, int step, int totalSteps, com.google.protobuf.ByteString png) {}

    ProgressListener NONE = (stage, step, totalSteps) -> {};
}
