package org.unclip.core.pipeline;

import java.util.List;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.Tensor;

/**
 * The decoder's per-request conditioning, made once by {@link TextProjection}.
 *
 * @param encoderHiddenStates {@code [B,E+L,C]}: E image-embedding context tokens, then the text tokens
 * @param timeEmbedAdd {@code [B,T]} added to the decoder's timestep embedding (its class_labels input)
 * @param attentionMask {@code [B,E+L]}: true on the context tokens and the real text tokens
 */
public record DecoderConditioning(Tensor encoderHiddenStates, Tensor timeEmbedAdd, BoolTensor attentionMask) {

    public DecoderConditioning {
        long b = encoderHiddenStates.dim(0);
        long[] m = attentionMask.shape();
        if (encoderHiddenStates.rank() != 3 || timeEmbedAdd.rank() != 2 || m.length != 2 || timeEmbedAdd.dim(0) != b
                || m[0] != b || m[1] != encoderHiddenStates.dim(1)) {
            throw new IllegalArgumentException("decoder conditioning parts disagree: " + encoderHiddenStates + ", "
                    + timeEmbedAdd + ", " + attentionMask);
        }
    }

    public int batch() {
        return encoderHiddenStates.batch();
    }

    /** Rows {@code [from, to)}. */
    public DecoderConditioning slice(int from, int to) {
        return new DecoderConditioning(encoderHiddenStates.slice(from, to), timeEmbedAdd.slice(from, to),
                attentionMask.slice(from, to));
    }

    /** The rows of every part, in order; the parts must agree on every axis but the batch. */
    public static DecoderConditioning concat(List<DecoderConditioning> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return new DecoderConditioning(
                Tensor.concat(parts.stream().map(DecoderConditioning::encoderHiddenStates).toList()),
                Tensor.concat(parts.stream().map(DecoderConditioning::timeEmbedAdd).toList()),
                BoolTensor.concat(parts.stream().map(DecoderConditioning::attentionMask).toList()));
    }
}
