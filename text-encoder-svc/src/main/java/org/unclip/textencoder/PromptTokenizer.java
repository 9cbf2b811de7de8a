package org.unclip.textencoder;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Turns prompts into the fixed-length token rows the text encoder takes, the way CLIP and Karlo
 * do it: the family's {@code tokenizer.json} adds start- and end-of-text tokens, rows are padded
 * with id 0 to the context length, a prompt that is too long is cut and its last kept token is
 * forced to end-of-text, and the mask marks start-of-text through end-of-text.
 *
 * <p>The end-of-text id is read from the tokenizer itself (the last id of the empty prompt), so a
 * real CLIP {@code tokenizer.json} works through the same code.
 */
final class PromptTokenizer implements AutoCloseable {

  static final long PAD_ID = 0;

  private final HuggingFaceTokenizer tokenizer;
  private final int contextLength;
  private final long endOfText;

  PromptTokenizer(Path tokenizerJson, int contextLength) throws IOException {
    if (contextLength < 2) {
      throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
    }
    this.tokenizer =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(tokenizerJson)
            .optAddSpecialTokens(true)
            .optPadding(false)
            .optTruncation(false)
            .build();
    this.contextLength = contextLength;
    long[] empty = tokenizer.encode("").getIds();
    if (empty.length < 1) {
      throw new IllegalStateException(
          tokenizerJson + " adds no special tokens: its post_processor must add start/end of text");
    }
    this.endOfText = empty[empty.length - 1];
  }

  int contextLength() {
    return contextLength;
  }

  long endOfText() {
    return endOfText;
  }

  /** Tokenises a batch of prompts into {@code [B, L]} ids and mask. */
  TokenizedBatch tokenize(List<String> prompts) {
    long[] ids = new long[prompts.size() * contextLength];
    boolean[] mask = new boolean[ids.length];
    for (int b = 0; b < prompts.size(); b++) {
      Encoding encoding = tokenizer.encode(prompts.get(b));
      long[] row = encoding.getIds();
      int kept = Math.min(row.length, contextLength);
      System.arraycopy(row, 0, ids, b * contextLength, kept);
      if (row.length > contextLength) {
        ids[b * contextLength + contextLength - 1] = endOfText;
      }
      Arrays.fill(mask, b * contextLength, b * contextLength + kept, true);
    }
    return new TokenizedBatch(prompts.size(), contextLength, ids, mask);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /** Token ids and attention mask, row-major {@code [batch, length]}. */
  record TokenizedBatch(int batch, int length, long[] ids, boolean[] mask) {
    TokenizedBatch {
      if (ids.length != batch * length || mask.length != ids.length) {
        throw new IllegalArgumentException("ids and mask must hold batch * length entries");
      }
    }

    long[] row(int b) {
      return Arrays.copyOfRange(ids, b * length, (b + 1) * length);
    }
  }
}
