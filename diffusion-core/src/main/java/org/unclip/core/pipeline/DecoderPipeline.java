package org.unclip.core.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.unclip.core.family.DecoderSpec;
import org.unclip.core.family.Preset;
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
 *
 * <p>A request is a {@link Run}: {@link #start} checks it and runs text_proj, then {@link #step}
 * advances any number of runs by one step each, with one batched call per network, however far
 * each run has got (every row carries its own timestep). {@link #generate} is one run stepped
 * alone; a run gives the same images alone or batched with others.
 */
public final class DecoderPipeline implements BatchStepper<DecoderPipeline.Run> {

    private static final int RGB = 3;

    private final Stage decoder;
    private final float[] cfgImageEmbedding;
    private final TextProjection textProjection;
    private final DecoderDenoiser decoderNet;
    private final List<Stage> upsamplers;
    private final List<UpsamplerDenoiser> upsamplerNets;
    private final Lanes<Run> lanes;

    /**
     * A loop's samplers and the side of the images it produces.
     *
     * @param sampler the sampler of requests that name no preset
     * @param presets the sampler of each preset (a preset missing here runs {@code sampler})
     */
    public record Stage(Sampler sampler, int resolution, Map<Preset, Sampler> presets) {

        public Stage {
            presets = Map.copyOf(presets);
        }

        /** One sampler for every preset. */
        public Stage(Sampler sampler, int resolution) {
            this(sampler, resolution, Map.of());
        }

        Sampler sampler(Preset preset) {
            return preset == null ? sampler : presets.getOrDefault(preset, sampler);
        }
    }

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
        this.lanes = new Lanes<>(Run::network, (network, input, timesteps, slices, alone) -> predict(input, timesteps, slices, alone));
    }

    /** A pipeline using the family's samplers, resolutions and unconditional embedding. */
    public static DecoderPipeline create(DecoderSpec spec, List<UpsamplerSpec> upsamplerSpecs,
            TextProjection textProjection, DecoderDenoiser decoderNet, List<UpsamplerDenoiser> upsamplerNets) {
        List<Stage> stages = new ArrayList<>();
        for (UpsamplerSpec u : upsamplerSpecs) {
            stages.add(new Stage(u.sampling().newSampler(), u.outputResolution(), u.sampling().newPresetSamplers()));
        }
        return new DecoderPipeline(
                new Stage(spec.sampling().newSampler(), spec.resolution(), spec.sampling().newPresetSamplers()),
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
     * @param preset the preset whose samplers run (null: each loop's default sampler)
     */
    public record Request(
            Tensor imageEmbeds, TextConditioning text, TextConditioning unconditional, List<Long> seeds,
            int decoderSteps, double guidanceScale, List<Integer> upsamplerSteps, int outputSize, NoiseSource noise,
            Preset preset) {

        public Request {
            seeds = List.copyOf(seeds);
            upsamplerSteps = List.copyOf(upsamplerSteps);
        }

        public Request(Tensor imageEmbeds, TextConditioning text, TextConditioning unconditional, List<Long> seeds,
                int decoderSteps, double guidanceScale, List<Integer> upsamplerSteps, int outputSize, NoiseSource noise) {
            this(imageEmbeds, text, unconditional, seeds, decoderSteps, guidanceScale, upsamplerSteps, outputSize,
                    noise, null);
        }

        public Request(Tensor imageEmbeds, TextConditioning text, TextConditioning unconditional, List<Long> seeds,
                int decoderSteps, double guidanceScale, List<Integer> upsamplerSteps, int outputSize, Preset preset) {
            this(imageEmbeds, text, unconditional, seeds, decoderSteps, guidanceScale, upsamplerSteps, outputSize,
                    NoiseSource.seeded(), preset);
        }

        public Request(Tensor imageEmbeds, TextConditioning text, TextConditioning unconditional, List<Long> seeds,
                int decoderSteps, double guidanceScale, List<Integer> upsamplerSteps, int outputSize) {
            this(imageEmbeds, text, unconditional, seeds, decoderSteps, guidanceScale, upsamplerSteps, outputSize,
                    NoiseSource.seeded(), null);
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
     * Runs the decoder and the upsamplers the output size needs, alone.
     *
     * @return {@code [N,3,S,S]} images in [−1, 1]
     * @throws java.util.concurrent.CancellationException when {@code cancelled} turns true (checked before every step)
     * @throws NonFiniteOutputException when a model produces NaN or infinity
     */
    public Tensor generate(Request request, ProgressListener progress, BooleanSupplier cancelled) {
        Run run = start(request, progress);
        List<Run> alone = List.of(run);
        while (!run.done()) {
            Checks.notCancelled(cancelled, run.stageName());
            step(alone, (r, e) -> {
                throw e;
            });
        }
        return run.result();
    }

    /**
     * Checks a request, runs text_proj for it and draws its initial noise.
     *
     * @param progress told of every step the run takes, on the thread that steps it
     */
    public Run start(Request request, ProgressListener progress) {
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
        ClassifierFreeGuidance cfg = new ClassifierFreeGuidance(request.guidanceScale());
        return new Run(request, seeds, stagesToRun, cfg, project(request, cfg, n), progress);
    }

    /** text_proj on {@code [uncond; cond]} (or the conditional rows alone without guidance). */
    private DecoderConditioning project(Request request, ClassifierFreeGuidance cfg, int n) {
        TextConditioning cond = request.text().broadcastBatch(n);
        Tensor embeds = request.imageEmbeds();
        TextConditioning text = cond;
        if (cfg.enabled()) {
            Tensor uncondEmbeds = Tensor.of(cfgImageEmbedding, 1, cfgImageEmbedding.length).broadcastBatch(n);
            embeds = Tensor.concat(uncondEmbeds, embeds);
            text = TextConditioning.concat(request.unconditional().broadcastBatch(n), cond);
        }
        int rows = text.batch();
        TextProjection.Projection proj = textProjection.project(embeds, text.textEmbeds(), text.hiddenStates());
        Tensor hidden = Checks.finite(proj.encoderHiddenStates(), "text_proj (encoder_hidden_states)");
        Tensor timeAdd = Checks.finite(proj.timeEmbedAdd(), "text_proj (time_embed_add)");
        int contextTokens = (int) hidden.dim(1) - text.length();
        if (hidden.batch() != rows || contextTokens < 0) {
            throw new IllegalStateException("text_proj returned " + hidden + " for " + rows + " rows of "
                    + text.length() + " tokens");
        }
        return new DecoderConditioning(hidden, timeAdd, text.mask().prependTrue(contextTokens));
    }

    /**
     * Advances each run by one step: the runs in the decoder loop share one decoder call, those in
     * an upsampler loop one call of that upsampler (its last-step graph apart).
     */
    @Override
    public void step(List<Run> runs, BiConsumer<Run, RuntimeException> failed) {
        step(runs, failed, Runnable::run, 1);
    }

    /**
     * The same, with the calls cut into up to {@code parts} model calls per network, run at once
     * on {@code executor} (see {@link Lanes}): even one guided image's two rows go to two calls.
     *
     * @param failed called on this thread, after every part has finished
     */
    public void step(List<Run> runs, BiConsumer<Run, RuntimeException> failed, Executor executor, int parts) {
        lanes.step(runs, failed, executor, parts);
    }

    /** One model call for rows of runs that are in the same loop. */
    private Tensor predict(Tensor input, long[] timesteps, List<Lanes.Slice<Run>> slices, boolean alone) {
        Run first = slices.get(0).run();
        if (first.phase == 0) {
            List<DecoderConditioning> conditioning = new ArrayList<>(slices.size());
            for (Lanes.Slice<Run> s : slices) {
                DecoderConditioning c = s.run().conditioning;
                conditioning.add(s.whole() ? c : c.slice(s.from(), s.to()));
            }
            return decoderNet.predict(input, timesteps, DecoderConditioning.concat(conditioning));
        }
        return upsamplerNets.get(first.phase - 1).predict(input, timesteps, first.lastStep(), alone);
    }

    /**
     * One request's way through the cascade (its images: {@code [N,3,S,S]} in [−1, 1]): phase 0 is the decoder loop, phase j ≥ 1 the loop of
     * upsampler j − 1. Stepped by one thread at a time.
     */
    public final class Run extends PipelineRun<Request> {

        private final int phases;
        private final ClassifierFreeGuidance cfg;
        private final DecoderConditioning conditioning;
        private final ProgressListener progress;

        private int phase;
        private String stageName;
        private int resolution;
        private Sampler sampler;
        private int noiseStage;
        private int[] timesteps;
        private int i;
        private Tensor latents;
        /** The loop's previous step, for multistep samplers. */
        private Sampler.History history;
        /** The previous phase's image resized to this upsampler's resolution. */
        private Tensor upscaled;

        private Run(Request request, long[] seeds, int upsamplersToRun, ClassifierFreeGuidance cfg,
                DecoderConditioning conditioning, ProgressListener progress) {
            super(request, seeds);
            this.phases = 1 + upsamplersToRun;
            this.cfg = cfg;
            this.conditioning = conditioning;
            this.progress = progress;
            enterDecoder();
        }

        /** The loop the run is in, as progress names it: {@code decoder}, {@code upsampler_64}, ... */
        public String stageName() {
            return stageName;
        }

        /** The network its next step calls (runs with the same one share a call). */
        String network() {
            return phase == 0 ? "decoder" : lastStep() ? stageName + "/last" : stageName;
        }

        @Override
        int timestep() {
            return timesteps[i];
        }

        boolean lastStep() {
            return i == timesteps.length - 1;
        }

        /** Rows of the model call: [uncond; cond] in the decoder loop when guided. */
        @Override
        int modelRows() {
            return phase == 0 && cfg.enabled() ? 2 * seeds.length : seeds.length;
        }

        @Override
        Tensor modelInput() {
            if (phase == 0) {
                return cfg.enabled() ? Tensor.concat(latents, latents) : latents;
            }
            return Tensor.concatChannels(latents, upscaled);
        }

        private void enterDecoder() {
            phase = 0;
            stageName = StepProgress.DECODER;
            resolution = decoder.resolution();
            sampler = decoder.sampler(request().preset());
            noiseStage = SeededNoise.DECODER;
            timesteps = sampler.timesteps(request().decoderSteps());
            i = 0;
            history = null;
            latents = request().noise().draw(seeds, noiseStage, SeededNoise.INITIAL, imageShape());
            finishIfEmpty();
        }

        private void enterUpsampler(int index, Tensor lowRes) {
            Stage stage = upsamplers.get(index);
            phase = index + 1;
            stageName = StepProgress.upsampler(index);
            resolution = stage.resolution();
            sampler = stage.sampler(request().preset());
            noiseStage = SeededNoise.upsampler(index);
            upscaled = BicubicResize.resize(lowRes, resolution, resolution);
            timesteps = sampler.timesteps(request().upsamplerSteps().get(index));
            i = 0;
            history = null;
            latents = request().noise().draw(seeds, noiseStage, SeededNoise.INITIAL, imageShape());
            finishIfEmpty();
        }

        private long[] imageShape() {
            return new long[] {RGB, resolution, resolution};
        }

        private void finishIfEmpty() {
            if (timesteps.length == 0) {
                endPhase();
            }
        }

        /** Takes the model's output for this run's rows and makes one sampler step. */
        @Override
        void advance(Tensor out) {
            int n = seeds.length;
            int r = resolution;
            int t = timesteps[i];
            int prevT = TimestepSpacing.previous(timesteps, i);
            String at = " at step " + (i + 1) + "/" + timesteps.length + " (t=" + t + ")";
            Tensor eps;
            if (phase == 0) {
                Checks.finite(out, "decoder" + at);
                if (out.rank() != 4 || out.batch() != modelRows() || (out.dim(1) != RGB && out.dim(1) != 2 * RGB)
                        || out.dim(2) != r || out.dim(3) != r) {
                    throw new IllegalStateException("decoder returned " + out + ", expected [" + modelRows()
                            + ",3 or 6," + r + "," + r + "]");
                }
                // guide ε, keep the conditional variance
                eps = cfg.enabled() ? cfg.combineChannels(out, RGB) : out;
            } else {
                Checks.finite(out, stageName + at);
                eps = Checks.shaped(out, stageName, n, RGB, r, r);
            }
            Tensor z = sampler.addsNoise(t, prevT) ? request().noise().draw(seeds, noiseStage, i + 1, imageShape()) : null;
            StepResult step = sampler.step(eps, t, prevT, latents, z, history);
            latents = Checks.finite(step.prevSample(), (phase == 0 ? "decoder" : stageName) + " step " + (i + 1));
            history = new Sampler.History(t, step.predictedOriginal());
            i++;
            progress.onStep(new StepProgress(stageName, i, timesteps.length, step.predictedOriginal()));
            if (i == timesteps.length) {
                endPhase();
            }
        }

        private void endPhase() {
            Tensor image = Checks.clamp(latents, 1f);
            if (phase + 1 < phases) {
                enterUpsampler(phase, image);
            } else {
                finish(image);
                latents = null;
                upscaled = null;
                history = null;
            }
        }
    }
}
