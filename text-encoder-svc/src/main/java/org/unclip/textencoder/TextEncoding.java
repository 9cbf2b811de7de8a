package org.unclip.textencoder;

import org.unclip.core.tensor.Tensor;

/**
 * What the CLIP text encoder says about a batch of prompts.
 *
 * @param textEmbeds pooled, projected embeddings {@code [B, D]}
 * @param lastHiddenState per-token states {@code [B, L, W]}
 * @param attentionMask 1 for real tokens, 0 for padding {@code [B, L]}
 */
record TextEncoding(Tensor textEmbeds, Tensor lastHiddenState, Tensor attentionMask) {}
