package org.unclip.core.onnx;

import java.util.Map;
import org.unclip.core.pipeline.DecoderConditioning;
import org.unclip.core.pipeline.DecoderDenoiser;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * The decoder graph as a {@link DecoderDenoiser}: inputs {@code sample, timestep,
 * encoder_hidden_states, class_labels, attention_mask}; output {@code out_sample}.
 */
public final class OnnxDecoderDenoiser implements DecoderDenoiser {

    private final OnnxModel model;

    /** Wraps {@code model}; the caller keeps ownership and closes it. */
    public OnnxDecoderDenoiser(OnnxModel model) {
        this.model = model;
    }

    @Override
    public Tensor predict(Tensor sample, int timestep, DecoderConditioning c) {
        return predict(sample, LongTensor.filled(timestep, sample.batch()).data(), c);
    }

    /** One call; the graph takes a timestep per row. */
    @Override
    public Tensor predict(Tensor sample, long[] timesteps, DecoderConditioning c) {
        Map<String, Tensor> out = model.run(Map.of(
                "sample", sample,
                "timestep", LongTensor.of(timesteps, timesteps.length),
                "encoder_hidden_states", c.encoderHiddenStates(),
                "class_labels", c.timeEmbedAdd(),
                "attention_mask", c.attentionMask()));
        return GraphOutputs.get(model, out, "out_sample");
    }
}
