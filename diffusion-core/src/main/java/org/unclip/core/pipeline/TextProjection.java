package org.unclip.core.pipeline;

import org.unclip.core.tensor.Tensor;

/** The text_proj network, run once per request before the decoder loop. */
@FunctionalInterface
public interface TextProjection {

    /**
     * @param imageEmbeddings {@code [B,D]} CLIP image embeddings
     * @param textEmbeds {@code [B,D]} pooled text embeddings
     * @param textHiddenStates {@code [B,L,W]} text hidden states
     * @return {@code encoder_hidden_states [B,E+L,C]} and {@code time_embed_add [B,T]}
     */
    Projection project(Tensor imageEmbeddings, Tensor textEmbeds, Tensor textHiddenStates);

    /** The two outputs of text_proj. */
    record Projection(Tensor encoderHiddenStates, Tensor timeEmbedAdd) {}
}
