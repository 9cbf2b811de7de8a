package org.unclip.decoder;

import java.util.ArrayList;
import java.util.List;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.core.family.DecoderSpec;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.family.Preset;
import org.unclip.core.family.StepRange;
import org.unclip.core.family.UpsamplerSpec;
import org.unclip.core.pipeline.DecoderPipeline;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.Tensor;
import org.unclip.stage.InboundMessageLimit;
import org.unclip.stage.InvalidRequestException;
import org.unclip.stage.ProtoTensors;

/** Checks a {@link DecoderRequest} against the family and turns it into a pipeline request. */
final class DecoderRequests {

    /** Most images one request may ask for. */
    static final int MAX_SEEDS = InboundMessageLimit.MAX_ROWS_PER_CALL;

    private DecoderRequests() {}

    /**
     * @throws InvalidRequestException naming the offending field and what was expected
     */
    static DecoderJob toJob(DecoderRequest request, ModelFamily family) {
        DecoderSpec decoder = family.decoder();
        List<Long> seeds = request.getSeedsList();
        int n = seeds.size();
        if (n == 0 || n > MAX_SEEDS) {
            throw new InvalidRequestException("seeds must hold 1 to " + MAX_SEEDS + " seeds, got " + n);
        }
        int size = request.getSize() == 0 ? family.largestOutputSize() : request.getSize();
        if (!family.outputSizes().contains(size)) {
            throw new InvalidRequestException("size must be 0 (the largest) or one of " + family.outputSizes()
                    + ", got " + request.getSize());
        }
        Preset preset = preset(request.getPreset(), family);
        int decoderSteps = steps(request.getDecoderSteps(), decoder.steps(), preset, "decoder_steps");
        float g = request.getGuidanceScale();
        double guidance = g == 0f ? decoder.guidance().defaultScale() : g;
        if (!Float.isFinite(g) || !decoder.guidance().contains(guidance)) {
            throw new InvalidRequestException("guidance_scale must be 0 (default " + decoder.guidance().defaultScale()
                    + ") or in [" + decoder.guidance().min() + ", " + decoder.guidance().max() + "], got " + g);
        }
        List<Integer> upsamplerSteps = new ArrayList<>();
        List<UpsamplerSpec> running = family.upsamplers().subList(0, family.upsamplersFor(size));
        for (UpsamplerSpec u : running) {
            upsamplerSteps.add(steps(request.getUpsamplerSteps(), u.steps(), preset, "upsampler_steps (" + u.name() + ")"));
        }

        int d = family.embeddingDim();
        int l = family.contextLength();
        int w = family.textWidth();
        Tensor embeds = ProtoTensors.fromProto(request.getImageEmbeds(), "image_embeds", n, d);
        if (!request.hasUnconditional()) {
            throw new InvalidRequestException("unconditional is missing; expected the text encoding of \"\" (batch 1)");
        }
        TextConditioning unconditional =
                ProtoTensors.textConditioning(request.getUnconditional(), "unconditional", 1, d, l, w);
        TextConditioning text = unconditional;
        if (request.hasText()) {
            text = ProtoTensors.textConditioning(request.getText(), "text", -1, d, l, w);
            if (text.batch() != 1 && text.batch() != n) {
                throw new InvalidRequestException("text has batch " + text.batch()
                        + "; expected 1 or the number of seeds (" + n + ")");
            }
        }
        DecoderPipeline.Request pipelineRequest = new DecoderPipeline.Request(embeds, text, unconditional, seeds,
                decoderSteps, guidance, upsamplerSteps, size, preset);
        return new DecoderJob(pipelineRequest, size, request.getPreviews());
    }

    private static Preset preset(String name, ModelFamily family) {
        try {
            return Preset.requested(name, family.defaultPreset());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("preset: " + e.getMessage());
        }
    }

    private static int steps(int requested, StepRange range, Preset preset, String field) {
        int steps = requested == 0 ? range.forPreset(preset) : requested;
        if (!range.contains(steps)) {
            throw new InvalidRequestException(field + " must be 0 (default " + range.forPreset(preset)
                    + ") or in [" + range.min() + ", " + range.max() + "], got " + requested);
        }
        return steps;
    }
}
