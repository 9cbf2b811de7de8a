package org.unclip.prior;

import java.util.List;
import org.unclip.api.v1.PriorRequest;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.family.Preset;
import org.unclip.core.family.PriorSpec;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.stage.InboundMessageLimit;
import org.unclip.stage.InvalidRequestException;
import org.unclip.stage.ProtoTensors;

/** Checks a {@link PriorRequest} against the family and turns it into a pipeline request. */
final class PriorRequests {

    /** Most embeddings one request may ask for. */
    static final int MAX_SEEDS = InboundMessageLimit.MAX_ROWS_PER_CALL;

    private PriorRequests() {}

    /**
     * @throws InvalidRequestException naming the offending field and what was expected
     */
    static PriorPipeline.Request toPipeline(PriorRequest request, ModelFamily family) {
        PriorSpec prior = family.prior();
        List<Long> seeds = request.getSeedsList();
        if (seeds.isEmpty() || seeds.size() > MAX_SEEDS) {
            throw new InvalidRequestException("seeds must hold 1 to " + MAX_SEEDS + " seeds, got " + seeds.size());
        }
        Preset preset;
        try {
            preset = Preset.requested(request.getPreset(), family.defaultPreset());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("preset: " + e.getMessage());
        }
        int steps = request.getSteps() == 0 ? prior.steps().forPreset(preset) : request.getSteps();
        if (!prior.steps().contains(steps)) {
            throw new InvalidRequestException("steps must be 0 (default " + prior.steps().forPreset(preset)
                    + ") or in [" + prior.steps().min() + ", " + prior.steps().max() + "], got " + request.getSteps());
        }
        float g = request.getGuidanceScale();
        double guidance = g == 0f ? prior.guidance().defaultScale() : g;
        if (!Float.isFinite(g) || !prior.guidance().contains(guidance)) {
            throw new InvalidRequestException("guidance_scale must be 0 (default " + prior.guidance().defaultScale()
                    + ") or in [" + prior.guidance().min() + ", " + prior.guidance().max() + "], got " + g);
        }
        int d = family.embeddingDim();
        int l = family.contextLength();
        int w = family.textWidth();
        if (!request.hasText()) {
            throw new InvalidRequestException("text is missing; expected the text encoding of the prompt(s)");
        }
        TextConditioning text = ProtoTensors.textConditioning(request.getText(), "text", -1, d, l, w);
        if (text.batch() != 1 && text.batch() != seeds.size()) {
            throw new InvalidRequestException("text has batch " + text.batch() + "; expected 1 or the number of seeds ("
                    + seeds.size() + ")");
        }
        if (!request.hasUnconditional()) {
            throw new InvalidRequestException("unconditional is missing; expected the text encoding of \"\" (batch 1)");
        }
        TextConditioning unconditional =
                ProtoTensors.textConditioning(request.getUnconditional(), "unconditional", 1, d, l, w);
        return new PriorPipeline.Request(text, unconditional, seeds, steps, guidance, preset);
    }
}
