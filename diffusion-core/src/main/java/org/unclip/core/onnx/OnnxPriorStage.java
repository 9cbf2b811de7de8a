package org.unclip.core.onnx;

import org.unclip.core.family.ModelFamily;
import org.unclip.core.pipeline.PriorPipeline;

/** A family's prior graph, loaded once, and the pipeline that runs it. Close on shutdown. */
public final class OnnxPriorStage implements AutoCloseable {

    private final OnnxModel prior;
    private final PriorPipeline pipeline;

    private OnnxPriorStage(ModelFamily family, OnnxModel prior) {
        this.prior = prior;
        this.pipeline = PriorPipeline.create(family.prior(), new OnnxPriorDenoiser(prior));
    }

    public static OnnxPriorStage load(ModelFamily family, int intraOpThreads) {
        return load(family, intraOpThreads, ExecutionProvider.CPU);
    }

    public static OnnxPriorStage load(ModelFamily family, int intraOpThreads, ExecutionProvider provider) {
        return new OnnxPriorStage(family, OnnxModel.load(family.prior().graph(), intraOpThreads, provider));
    }

    public OnnxModel model() {
        return prior;
    }

    public PriorPipeline pipeline() {
        return pipeline;
    }

    @Override
    public void close() {
        prior.close();
    }
}
