package org.unclip.textencoder;

import java.util.List;
import org.unclip.core.pipeline.SteppedRun;

/**
 * The prompts of one EncodeText call, waiting to be encoded in one model call with those of
 * other calls (dynamic batching: a run of a single step).
 */
final class PromptBatch implements SteppedRun {

    private final List<String> prompts;
    private TextEncoding result;

    PromptBatch(List<String> prompts) {
        this.prompts = List.copyOf(prompts);
    }

    List<String> prompts() {
        return prompts;
    }

    void finish(TextEncoding encoding) {
        this.result = encoding;
    }

    TextEncoding result() {
        return result;
    }

    @Override
    public boolean done() {
        return result != null;
    }

    @Override
    public int images() {
        return prompts.size();
    }
}
