package org.unclip.core.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.unclip.core.family.DecoderSpec;
import org.unclip.core.family.UpsamplerSpec;
import org.unclip.core.guidance.ClassifierFreeGuidance;
import org.unclip.core.image.BicubicResize;
import org.unclip.core.noise.NoiseSource;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.sampler.Sampler;
import org.unclip.core.sampler.StepResult;
import org.unclip.core.schedule.TimestepSpacing;
import org.unclip.core.tensor.Tensor;

/**
 * The decoder and its upsampler cascade: CLIP image embeddings → RGB images in [−1, 1].
 *
 * <ol>
 *   <li>text_proj once, on {@code [uncond; cond]}: unconditional rows take the family's learned
 *       {@code cfg_image_embedding} and the encoding of ""; the attention mask is the context tokens
 *       (all true) followed by the text mask.
 *   <li>The decoder loop at its base resolution, guiding ε only and keeping the conditional
 *       variance channels; the result is clamped to ±1.
 *   <li>Each upsampler up to the requested size: the previous image is resized (torch bicubic,
 *       antialiased) to the upsampler's output resolution and concatenated to x_t on the channel
 *       axis; no guidance; the result is clamped to ±1.
 * </ol>
 */
public final class DecoderPipeline {

    private static final int RGB = 3;

    private final Stage decoder;
    private final float[] cfgImageEmbedding;
    private final TextProjection textProjection;
    private final DecoderDenoiser decoderNet;
    private final List<Stage> upsamplers;
    private final List<UpsamplerDenoiser> upsamplerNets;

    /** A sampler and the side of the images it produces. */
    public record Stage(Sampler sampler, int resolution) {}

    public DecoderPipeline(Stage decoder, float[] cfgImageEmbedding, TextProjection textProjection,
            DecoderDenoiser decoderNet, List<Stage> upsamplers, List<UpsamplerDenoiser> upsamplerNets) {
        if (upsamplers.size() != upsamplerNets.size()) {
            throw new IllegalArgumentException(upsamplers.size() + " upsampler stages but " + upsamplerNets.size()
                    + " upsampler networks");
        }
        this.decoder = decoder;
        this.cfgImageEmbedding = cfgImageEmbedding.clone();
        this.textProjection = textProjection;
        this.decoderNet = decoderNet;
        this.upsamplers = List.copyOf(upsamplers);
        this.upsamplerNets = List.copyOf(upsamplerNets);
    }

    /** A pipeline using the family's samplers, resolutions and unconditional embedding. */
    public static DecoderPipeline create(DecoderSpec spec, List<UpsamplerSpec> upsamplerSpecs,
            TextProjection textProjection, DecoderDenoiser decoderNet, List<UpsamplerDenoiser> upsamplerNets) {
        List<Stage> stages = new ArrayList<>();
        for (UpsamplerSpec u : upsamplerSpecs) {
            stages.add(new Stage(u.sampling().newSampler(), u.outputResolution()));
        }
        return new DecoderPipeline(new Stage(spec.sampling().newSampler(), spec.resolution()),
                spec.cfgImageEmbedding(), textProjection, decoderNet, stages, upsamplerNets);
    }

    /**
     * One decoder run.
     *
     * @param imageEmbeds {@code [N,D]} CLIP image embeddings
     * @param text conditional text encoding, batch 1 (shared) or N
     * @param unconditional the encoding of "", batch 1
     * @param seeds N seeds; image n's noise depends on {@code seeds[n]} only
     * @param upsamplerSteps steps of each upsampler that runs (as many as {@code outputSize} needs)
     * @param outputSize side of the result: the decoder's resolution or an upsampler's output resolution
     */
    public record Request(
            Tensor imageEmbeds, TextConditioning text, TextConditioning unconditional, List<Long> seeds,
            int decoderSteps, double guidanceScale, List<Integer> upsamplerSteps, int outputSize, NoiseSource noise) {

        public Request {
            seeds = List.copyOf(seeds);
            upsamplerSteps = List.copyOf(upsamplerSteps);
        }

        public Request(Tensor imageEmbeds, TextConditioning text, TextConditioning unconditional, List<Long> seeds,
                int decoderSteps, double guidanceScale, List<Integer> upsamplerSteps, int outputSize) {
            this(imageEmbeds, text, unconditional, seeds, decoderSteps, guidanceScale, upsamplerSteps, outputSize,
                    NoiseSource.seeded());
        }
    }

    /** How many upsamplers run for {@code outputSize}. */
    public int upsamplersFor(int outputSize) {
        if (outputSize == decoder.resolution()) {
            return 0;
        }
        for (int i = 0; i < upsamplers.size(); i++) {
            if (upsamplers.get(i).resolution() == outputSize) {
                return i + 1;
            }
        }
        List<Integer> sizes = new ArrayList<>();
        sizes.add(decoder.resolution());
        upsamplers.forEach(u -> sizes.add(u.resolution()));
        throw new IllegalArgumentException("output size " + outputSize + " is not produced; expected one of " + sizes);
    }

    /**
     * Runs the decoder and the upsamplers the output size needs.
     *
     * @return {@code [N,3,S,S]} images in [−1, 1]
     * @throws java.util.concurrent.CancellationException when {@code cancelled} turns true (checked before every step)
     * @throws NonFiniteOutputException when a model produces NaN or infinity
     */
    public Tensor generate(Request request, ProgressListener progress, BooleanSupplier cancelled) {
        long[] seeds = Checks.seeds(request.seeds());
        int n = seeds.length;
        int stagesToRun = upsamplersFor(request.outputSize());
        if (request.upsamplerSteps().size() != stagesToRun) {
            throw new IllegalArgumentException("size " + request.outputSize() + " runs " + stagesToRun
                    + " upsampler(s) but " + request.upsamplerSteps().size() + " step counts were given");
        }
        Tensor embeds = request.imageEmbeds();
        if (embeds.rank() != 2 || embeds.batch() != n || embeds.dim(1) != cfgImageEmbedding.length) {
            throw new IllegalArgumentException("image embeddings must be [" + n + "," + cfgImageEmbedding.length
                    + "], got " + embeds);
        }

        Tensor image = decode(request, seeds, progress, cancelled);
        for (int j = 0; j < stagesToRun; j++) {
            image = upsample(j, image, request.upsamplerSteps().get(j), seeds, request.noise(), progress, cancelled);
        }
        return image;
    }

    private Tensor decode(Request request, long[] seeds, ProgressListener progress, BooleanSupplier cancelled) {
        int n = seeds.length;
        int r = decoder.resolution();
        ClassifierFreeGuidance cfg = new ClassifierFreeGuidance(request.guidanceScale());
        TextConditioning cond = request.text().broadcastBatch(n);
        Tensor embeds = request.imageEmbeds();
        TextConditioning text = cond;
        if (cfg.enabled()) {
            Tensor uncondEmbeds = Tensor.of(cfgImageEmbedding, 1, cfgImageEmbedding.length).broadcastBatch(n);
            embeds = Tensor.concat(uncondEmbeds, embeds);
            text = TextConditioning.concat(request.unconditional().broadcastBatch(n), cond);
        }
        int rows = text.batch();

        // text_proj, once per request
        TextProjection.Projection proj = textProjection.project(embeds, text.textEmbeds(), text.hiddenStates());
        Tensor hidden = Checks.finite(proj.encoderHiddenStates(), "text_proj (encoder_hidden_states)");
        Tensor timeAdd = Checks.finite(proj.timeEmbedAdd(), "text_proj (time_embed_add)");
        int contextTokens = (int) hidden.dim(1) - text.length();
        if (hidden.batch() != rows || contextTokens < 0) {
            throw new IllegalStateException("text_proj returned " + hidden + " for " + rows + " rows of "
                    + text.length() + " tokens");
        }
        DecoderConditioning conditioning =
                new DecoderConditioning(hidden, timeAdd, text.mask().prependTrue(contextTokens));

        Sampler sampler = decoder.sampler();
        long[] imageShape = {RGB, r, r};
        Tensor latents = request.noise().draw(seeds, SeededNoise.DECODER, SeededNoise.INITIAL, imageShape);
        int[] timesteps = sampler.timesteps(request.decoderSteps());
        for (int i = 0; i < timesteps.length; i++) {
            Checks.notCancelled(cancelled, StepProgress.DECODER);
            int t = timesteps[i];
            int prevT = TimestepSpacing.previous(timesteps, i);
            // 1. predict ε (+ variance) for [uncond; cond]; guide ε, keep the conditional variance
            Tensor input = cfg.enabled() ? Tensor.concat(latents, latents) : latents;
            Tensor out = Checks.finite(decoderNet.predict(input, t, conditioning),
                    "decoder at step " + (i + 1) + "/" + timesteps.length + " (t=" + t + ")");
            if (out.rank() != 4 || out.batch() != rows || (out.dim(1) != RGB && out.dim(1) != 2 * RGB)
                    || out.dim(2) != r || out.dim(3) != r) {
                throw new IllegalStateException("decoder returned " + out + ", expected [" + rows + ",3 or 6," + r
                        + "," + r + "]");
            }
            Tensor guided = cfg.enabled() ? cfg.combineChannels(out, RGB) : out;
            // 2. x_t -> x_prev
            Tensor z = sampler.addsNoise(t, prevT)
                    ? request.noise().draw(seeds, SeededNoise.DECODER, i + 1, imageShape)
                    : null;
            StepResult step = sampler.step(guided, t, prevT, latents, z);
            latents = Checks.finite(step.prevSample(), "decoder step " + (i + 1));
            progress.onStep(new StepProgress(StepProgress.DECODER, i + 1, timesteps.length,
                    step.predictedOriginal()));
        }
        return Checks.clamp(latents, 1f);
    }

    private Tensor upsample(int index, Tensor lowRes, int steps, long[] seeds, NoiseSource noise,
            ProgressListener progress, BooleanSupplier cancelled) {
        Stage stage = upsamplers.get(index);
        UpsamplerDenoiser net = upsamplerNets.get(index);
        String name = StepProgress.upsampler(index);
        int stageIndex = SeededNoise.upsampler(index);
        int r = stage.resolution();
        int n = seeds.length;
        Tensor upscaled = BicubicResize.resize(lowRes, r, r);

        Sampler sampler = stage.sampler();
        long[] imageShape = {RGB, r, r};
        Tensor latents = noise.draw(seeds, stageIndex, SeededNoise.INITIAL, imageShape);
        int[] timesteps = sampler.timesteps(steps);
        for (int i = 0; i < timesteps.length; i++) {
            Checks.notCancelled(cancelled, name);
            int t = timesteps[i];
            int prevT = TimestepSpacing.previous(timesteps, i);
            boolean last = i == timesteps.length - 1;
            Tensor eps = Checks.finite(net.predict(Tensor.concatChannels(latents, upscaled), t, last),
                    name + " at step " + (i + 1) + "/" + timesteps.length + " (t=" + t + ")");
            Checks.shaped(eps, name, n, RGB, r, r);
            Tensor z = sampler.addsNoise(t, prevT) ? noise.draw(seeds, stageIndex, i + 1, imageShape) : null;
            StepResult step = sampler.step(eps, t, prevT, latents, z);
            latents = Checks.finite(step.prevSample(), name + " step " + (i + 1));
            progress.onStep(new StepProgress(name, i + 1, timesteps.length, step.predictedOriginal()));
        }
        return Checks.clamp(latents, 1f);
    }
}
