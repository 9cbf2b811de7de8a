package org.unclip.core.onnx;

import java.util.Map;
import java.util.Optional;
import org.unclip.core.pipeline.UpsamplerDenoiser;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * An upsampler graph (and optionally its last-step variant) as an {@link UpsamplerDenoiser}: inputs
 * {@code sample, timestep}; output {@code out_sample}.
 */
public final class OnnxUpsamplerDenoiser implements UpsamplerDenoiser {

    private final OnnxModel model;
    private final Optional<OnnxModel> lastStepModel;
    private final Optional<OnnxModel> aloneModel;
    private final Optional<OnnxModel> aloneLastStepModel;

    /** Wraps the models; the caller keeps ownership and closes them. */
    public OnnxUpsamplerDenoiser(OnnxModel model, Optional<OnnxModel> lastStepModel) {
        this(model, lastStepModel, Optional.empty(), Optional.empty());
    }

    /**
     * @param aloneModel the same graph in a session with more threads, for calls that run alone
     *     (and {@code aloneLastStepModel} for the last-step graph)
     */
    public OnnxUpsamplerDenoiser(OnnxModel model, Optional<OnnxModel> lastStepModel, Optional<OnnxModel> aloneModel,
            Optional<OnnxModel> aloneLastStepModel) {
        this.model = model;
        this.lastStepModel = lastStepModel;
        this.aloneModel = aloneModel;
        this.aloneLastStepModel = aloneLastStepModel;
    }

    @Override
    public Tensor predict(Tensor sample, int timestep, boolean lastStep) {
        return predict(sample, LongTensor.filled(timestep, sample.batch()).data(), lastStep);
    }

    /** One call; the graph takes a timestep per row. */
    @Override
    public Tensor predict(Tensor sample, long[] timesteps, boolean lastStep) {
        return run(lastStep ? lastStepModel.orElse(model) : model, sample, timesteps);
    }

    @Override
    public Tensor predict(Tensor sample, long[] timesteps, boolean lastStep, boolean alone) {
        if (!alone || aloneModel.isEmpty()) {
            return predict(sample, timesteps, lastStep);
        }
        OnnxModel wide = aloneModel.get();
        return run(lastStep ? aloneLastStepModel.orElse(wide) : wide, sample, timesteps);
    }

    private static Tensor run(OnnxModel m, Tensor sample, long[] timesteps) {
        Map<String, Tensor> out = m.run(Map.of(
                "sample", sample,
                "timestep", LongTensor.of(timesteps, timesteps.length)));
        return GraphOutputs.get(m, out, "out_sample");
    }
}
