package org.unclip.stage.batch;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * How a stage batches calls ({@code unclip.batching.*}); each stage sets its own defaults in its
 * {@code application.properties}.
 */
@ConfigMapping(prefix = "unclip.batching")
public interface BatchingConfig {

    /** Most images in one batch (rows before classifier-free guidance doubles them). */
    @WithDefault("16")
    int maxBatchSize();

    /** How long the first call into an empty batch waits for others to join it. */
    @WithDefault("2ms")
    Duration window();

    /** Most calls waiting for a place in the batch; beyond it calls are answered RESOURCE_EXHAUSTED. */
    @WithDefault("64")
    int maxWaiting();

    /**
     * Model calls of one batched step that run at once, each on its own thread with
     * {@code unclip.onnx.threads} threads of its own (the decoder cuts each network's batch into
     * this many parts). 1 = one call after the other on the batching thread.
     */
    @WithDefault("1")
    int lanes();

    default StepScheduler.Settings settings() {
        return new StepScheduler.Settings(maxBatchSize(), window(), maxWaiting());
    }
}
