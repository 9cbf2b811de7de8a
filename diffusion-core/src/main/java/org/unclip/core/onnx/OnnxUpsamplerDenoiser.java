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

    /** Wraps the models; the caller keeps ownership and closes them. */
    public OnnxUpsamplerDenoiser(OnnxModel model, Optional<OnnxModel> lastStepModel) {
        this.model = model;
        this.lastStepModel = lastStepModel;
    }

    @Override
    public Tensor predict(Tensor sample, int timestep, boolean lastStep) {
        return predict(sample, LongTensor.filled(timestep, sample.batch()).data(), lastStep);
    }

    /** One call; the graph takes a timestep per row. */
    @Override
    public Tensor predict(Tensor sample, long[] timesteps, boolean lastStep) {
        OnnxModel m = lastStep ? lastStepModel.orElse(model) : model;
        Map<String, Tensor> out = m.run(Map.of(
                "sample", sample,
                "timestep", LongTensor.of(timesteps, timesteps.length)));
        return GraphOutputs.get(m, out, "out_sample");
    }
}
