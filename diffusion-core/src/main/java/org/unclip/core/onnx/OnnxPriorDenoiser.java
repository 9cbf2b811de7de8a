package org.unclip.core.onnx;

import java.util.Map;
import org.unclip.core.pipeline.PriorDenoiser;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * The prior graph as a {@link PriorDenoiser}: inputs {@code sample, timestep, proj_embedding,
 * encoder_hidden_states, attention_mask}; output {@code predicted_image_embedding}.
 */
public final class OnnxPriorDenoiser implements PriorDenoiser {

    private final OnnxModel model;

    /** Wraps {@code model}; the caller keeps ownership and closes it. */
    public OnnxPriorDenoiser(OnnxModel model) {
        this.model = model;
    }

    @Override
    public Tensor predict(Tensor sample, int timestep, TextConditioning text) {
        return predict(sample, LongTensor.filled(timestep, sample.batch()).data(), text);
    }

    /** One call; the graph takes a timestep per row. */
    @Override
    public Tensor predict(Tensor sample, long[] timesteps, TextConditioning text) {
        Map<String, Tensor> out = model.run(Map.of(
                "sample", sample,
                "timestep", LongTensor.of(timesteps, timesteps.length),
                "proj_embedding", text.textEmbeds(),
                "encoder_hidden_states", text.hiddenStates(),
                "attention_mask", text.mask()));
        return GraphOutputs.get(model, out, "predicted_image_embedding");
    }
}
