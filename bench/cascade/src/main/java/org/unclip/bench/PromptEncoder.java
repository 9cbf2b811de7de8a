package org.unclip.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.onnx.OnnxModel;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * The text-encoder stage's work for the one-JVM cascade: the family's tokenizer (rows padded with 0
 * to the context length, an over-long prompt cut with end-of-text kept last, as the service does)
 * and its text_encoder graph.
 */
final class PromptEncoder implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final OnnxModel model;
    private final int contextLength;
    private final long endOfText;
    private final TextConditioning unconditional;

    PromptEncoder(ModelFamily family, int threads) throws IOException {
        this.tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(family.tokenizer())
                .optAddSpecialTokens(true).optPadding(false).optTruncation(false).build();
        this.model = OnnxModel.load(family.textEncoder().graph(), threads);
        this.contextLength = family.contextLength();
        long[] empty = tokenizer.encode("").getIds();
        this.endOfText = empty[empty.length - 1];
        this.unconditional = encode(List.of(""));
    }

    OnnxModel model() {
        return model;
    }

    TextConditioning unconditional() {
        return unconditional;
    }

    TextConditioning encode(List<String> prompts) {
        int n = prompts.size();
        long[] ids = new long[n * contextLength];
        boolean[] mask = new boolean[ids.length];
        for (int b = 0; b < n; b++) {
            long[] row = tokenizer.encode(prompts.get(b)).getIds();
            int kept = Math.min(row.length, contextLength);
            for (int i = 0; i < kept; i++) {
                ids[b * contextLength + i] = row[i];
                mask[b * contextLength + i] = true;
            }
            if (row.length > contextLength) {
                ids[b * contextLength + contextLength - 1] = endOfText;
            }
        }
        Map<String, Tensor> out = model.run(Map.of("input_ids", LongTensor.of(ids, n, contextLength)));
        return new TextConditioning(out.get("text_embeds"), out.get("last_hidden_state"),
                BoolTensor.of(mask, n, contextLength));
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
