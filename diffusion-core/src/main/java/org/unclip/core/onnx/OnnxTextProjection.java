package org.unclip.core.onnx;

import java.util.Map;
import org.unclip.core.pipeline.TextProjection;
import org.unclip.core.tensor.Tensor;

/**
 * The text_proj graph as a {@link TextProjection}: inputs {@code image_embeddings, text_embeds,
 * text_hidden_states}; outputs {@code encoder_hidden_states, time_embed_add}.
 */
public final class OnnxTextProjection implements TextProjection {

    private final OnnxModel model;

    /** Wraps {@code model}; the caller keeps ownership and closes it. */
    public OnnxTextProjection(OnnxModel model) {
        this.model = model;
    }

    @Override
    public Projection project(Tensor imageEmbeddings, Tensor textEmbeds, Tensor textHiddenStates) {
        Map<String, Tensor> out = model.run(Map.of(
                "image_embeddings", imageEmbeddings,
                "text_embeds", textEmbeds,
                "text_hidden_states", textHiddenStates));
        return new Projection(GraphOutputs.get(model, out, "encoder_hidden_states"),
                GraphOutputs.get(model, out, "time_embed_add"));
    }
}
