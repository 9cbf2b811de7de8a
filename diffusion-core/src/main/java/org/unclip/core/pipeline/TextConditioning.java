package org.unclip.core.pipeline;

import java.util.List;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.Tensor;
import org.unclip.core.tensor.WireTensor.MalformedTensorException;
import org.unclip.core.tensor.WireTensor;

/**
 * What the text encoder says about a batch of prompts.
 *
 * @param textEmbeds {@code [B,D]} pooled, projected text embedding
 * @param hiddenStates {@code [B,L,W]} per-token hidden states
 * @param mask {@code [B,L]} true on real tokens
 */
public record TextConditioning(Tensor textEmbeds, Tensor hiddenStates, BoolTensor mask) {

    public TextConditioning {
        if (textEmbeds.rank() != 2 || hiddenStates.rank() != 3 || mask.shape().length != 2) {
            throw new IllegalArgumentException("text conditioning needs text_embeds [B,D], hidden states [B,L,W]"
                    + " and mask [B,L]; got " + textEmbeds + ", " + hiddenStates + ", " + mask);
        }
        long b = textEmbeds.dim(0);
        if (hiddenStates.dim(0) != b || mask.shape()[0] != b || mask.shape()[1] != hiddenStates.dim(1)) {
            throw new IllegalArgumentException("text conditioning parts disagree: " + textEmbeds + ", "
                    + hiddenStates + ", " + mask);
        }
    }

    /**
     * Decodes a text encoding received from another service: {@code text_embeds [B,D]},
     * {@code last_hidden_state [B,L,W]} and an {@code attention_mask [B,L]} of 0s and 1s.
     *
     * @param field the name messages use for the whole encoding
     * @param batch the expected batch, or {@link WireTensor#ANY}
     * @throws MalformedTensorException naming the part that is not as expected
     */
    public static TextConditioning decode(String field, WireTensor textEmbeds, WireTensor lastHiddenState,
            WireTensor attentionMask, long batch, int d, int l, int w) {
        Tensor embeds = textEmbeds.decode(field + ".text_embeds", batch, d);
        long b = embeds.dim(0);
        Tensor hidden = lastHiddenState.decode(field + ".last_hidden_state", b, l, w);
        Tensor mask = attentionMask.decode(field + ".attention_mask", b, l);
        for (int i = 0; i < mask.size(); i++) {
            float m = mask.get(i);
            if (m != 0f && m != 1f) {
                throw new MalformedTensorException(field + ".attention_mask must hold only 0 and 1, found " + m);
            }
        }
        return new TextConditioning(embeds, hidden, BoolTensor.nonZero(mask));
    }

    public int batch() {
        return textEmbeds.batch();
    }

    /** Token sequence length L. */
    public int length() {
        return (int) hiddenStates.dim(1);
    }

    /** Itself with {@code n} rows, repeating a single row if needed. */
    public TextConditioning broadcastBatch(int n) {
        return new TextConditioning(textEmbeds.broadcastBatch(n), hiddenStates.broadcastBatch(n),
                mask.broadcastBatch(n));
    }

    /** The rows of {@code first} followed by the rows of {@code second}. */
    public static TextConditioning concat(TextConditioning first, TextConditioning second) {
        return new TextConditioning(Tensor.concat(first.textEmbeds, second.textEmbeds),
                Tensor.concat(first.hiddenStates, second.hiddenStates),
                BoolTensor.concat(List.of(first.mask, second.mask)));
    }

    /** Rows {@code [from, to)}. */
    public TextConditioning slice(int from, int to) {
        return new TextConditioning(textEmbeds.slice(from, to), hiddenStates.slice(from, to), mask.slice(from, to));
    }

    /** The rows of every part, in order. */
    public static TextConditioning concat(List<TextConditioning> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return new TextConditioning(Tensor.concat(parts.stream().map(TextConditioning::textEmbeds).toList()),
                Tensor.concat(parts.stream().map(TextConditioning::hiddenStates).toList()),
                BoolTensor.concat(parts.stream().map(TextConditioning::mask).toList()));
    }
}
