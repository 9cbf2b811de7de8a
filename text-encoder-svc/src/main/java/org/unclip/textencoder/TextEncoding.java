package org.unclip.textencoder;

import org.unclip.core.tensor.Tensor;
import org.unclip.stage.ProtoTensors;

/**
 * What the CLIP text encoder says about a batch of prompts.
 *
 * @param textEmbeds pooled, projected embeddings {@code [B, D]}
 * @param lastHiddenState per-token states {@code [B, L, W]}
 * @param attentionMask 1 for real tokens, 0 for padding {@code [B, L]}
 */
record TextEncoding(Tensor textEmbeds, Tensor lastHiddenState, Tensor attentionMask) {

    /** Rows {@code [from, to)}. */
    TextEncoding slice(int from, int to) {
        return new TextEncoding(textEmbeds.slice(from, to), lastHiddenState.slice(from, to),
                attentionMask.slice(from, to));
    }

    org.unclip.api.v1.TextEncoding toProto() {
        return org.unclip.api.v1.TextEncoding.newBuilder()
                .setTextEmbeds(tensor(textEmbeds))
                .setLastHiddenState(tensor(lastHiddenState))
                .setAttentionMask(tensor(attentionMask))
                .build();
    }

    private static org.unclip.api.v1.Tensor tensor(Tensor t) {
        return ProtoTensors.toProto(t, org.unclip.api.v1.Tensor.newBuilder()).build();
    }
}
