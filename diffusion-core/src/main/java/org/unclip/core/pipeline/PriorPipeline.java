package org.unclip.core.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.unclip.core.family.Preset;
import org.unclip.core.family.PriorSpec;
import org.unclip.core.guidance.ClassifierFreeGuidance;
import org.unclip.core.noise.NoiseSource;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.sampler.Sampler;
import org.unclip.core.sampler.StepResult;
import org.unclip.core.schedule.TimestepSpacing;
import org.unclip.core.tensor.Tensor;

/**
 * The diffusion prior loop: text encoding → CLIP image embedding, one per seed. It denoises in the
 * normalised embedding space (x0 prediction, guided as {@code [uncond; cond]}, clamped by the
 * sampler) and maps the result back with {@code z·clipStd + clipMean}.
 */
public final class PriorPipeline implements BatchStepper<PriorPipeline.Run> {

    private final Sampler sampler;
    private final Map<Preset, Sampler> presets;
    private final float[] clipMean;
    private final float[] clipStd;
    private final PriorDenoiser prior;
    private final Lanes<Run> lanes = new Lanes<>(run -> "prior",
            (network, input, timesteps, slices, alone) -> predict(input, timesteps, slices));

    public PriorPipeline(Sampler sampler, float[] clipMean, float[] clipStd, PriorDenoiser prior) {
        this(sampler, Map.of(), clipMean, clipStd, prior);
    }

    /**
     * @param presets the sampler of each preset (a preset missing here runs {@code sampler}, as do
     *     requests that name none)
     */
    public PriorPipeline(Sampler sampler, Map<Preset, Sampler> presets, float[] clipMean, float[] clipStd,
            PriorDenoiser prior) {
        this.presets = Map.copyOf(presets);
        if (clipMean.length != clipStd.length) {
            throw new IllegalArgumentException("clipMean and clipStd differ in length");
        }
        this.sampler = sampler;
        this.clipMean = clipMean.clone();
        this.clipStd = clipStd.clone();
        this.prior = prior;
    }

    /** A pipeline using the family's sampler and statistics. */
    public static PriorPipeline create(PriorSpec spec, PriorDenoiser prior) {
        return new PriorPipeline(spec.sampling().newSampler(), spec.sampling().newPresetSamplers(), spec.clipMean(),
                spec.clipStd(), prior);
    }

    /** Embedding dimension D. */
    public int embeddingDim() {
        return clipMean.length;
    }

    /**
     * One prior run.
     *
     * @param text conditional text encoding, batch 1 (shared) or {@code seeds.size()}
     * @param unconditional the encoding of "", batch 1 (unused when guidance is 1)
     * @param seeds one per output embedding; image n's noise depends on {@code seeds[n]} only
     * @param noise the noise source (normally {@link NoiseSource#seeded()})
     * @param preset the preset whose sampler runs (null: the prior's default sampler)
     */
    public record Request(
            TextConditioning text, TextConditioning unconditional, List<Long> seeds, int steps,
            double guidanceScale, NoiseSource noise, Preset preset) {

        public Request {
            seeds = List.copyOf(seeds);
        }

        public Request(TextConditioning text, TextConditioning unconditional, List<Long> seeds, int steps,
                double guidanceScale, NoiseSource noise) {
            this(text, unconditional, seeds, steps, guidanceScale, noise, null);
        }

        public Request(TextConditioning text, TextConditioning unconditional, List<Long> seeds, int steps,
                double guidanceScale, Preset preset) {
            this(text, unconditional, seeds, steps, guidanceScale, NoiseSource.seeded(), preset);
        }

        public Request(TextConditioning text, TextConditioning unconditional, List<Long> seeds, int steps,
                double guidanceScale) {
            this(text, unconditional, seeds, steps, guidanceScale, NoiseSource.seeded(), null);
        }
    }

    /**
     * Runs the loop, alone.
     *
     * @return {@code [N,D]} un-normalised image embeddings
     * @throws java.util.concurrent.CancellationException when {@code cancelled} turns true (checked before every step)
     * @throws NonFiniteOutputException when the model produces NaN or infinity
     */
    public Tensor generate(Request request, ProgressListener progress, BooleanSupplier cancelled) {
        Run run = start(request, progress);
        List<Run> alone = List.of(run);
        while (!run.done()) {
            Checks.notCancelled(cancelled, StepProgress.PRIOR);
            step(alone, (r, e) -> {
                throw e;
            });
        }
        return run.result();
    }

    /**
     * Checks a request and draws its initial noise.
     *
     * @param progress told of every step the run takes, on the thread that steps it
     */
    public Run start(Request request, ProgressListener progress) {
        long[] seeds = Checks.seeds(request.seeds());
        int n = seeds.length;
        int d = clipMean.length;
        ClassifierFreeGuidance cfg = new ClassifierFreeGuidance(request.guidanceScale());
        TextConditioning cond = request.text().broadcastBatch(n);
        if (cond.textEmbeds().dim(1) != d) {
            throw new IllegalArgumentException("text embeddings have D = " + cond.textEmbeds().dim(1)
                    + ", the prior expects " + d);
        }
        TextConditioning modelText = cfg.enabled()
                ? TextConditioning.concat(request.unconditional().broadcastBatch(n), cond)
                : cond;
        return new Run(request, seeds, cfg, modelText, progress);
    }

    /** Advances each run by one step, all in one prior call. */
    @Override
    public void step(List<Run> runs, BiConsumer<Run, RuntimeException> failed) {
        step(runs, failed, Runnable::run, 1);
    }

    /**
     * The same, with the rows cut into up to {@code parts} prior calls run at once on
     * {@code executor} (see {@link Lanes}).
     *
     * @param failed called on this thread, after every part has finished
     */
    public void step(List<Run> runs, BiConsumer<Run, RuntimeException> failed, Executor executor, int parts) {
        lanes.step(runs, failed, executor, parts);
    }

    private Tensor predict(Tensor input, long[] timesteps, List<Lanes.Slice<Run>> slices) {
        List<TextConditioning> text = new ArrayList<>(slices.size());
        int rows = 0;
        for (Lanes.Slice<Run> s : slices) {
            TextConditioning t = s.run().modelText;
            text.add(s.whole() ? t : t.slice(s.from(), s.to()));
            rows += s.rows();
        }
        return Checks.shaped(prior.predict(input, timesteps, TextConditioning.concat(text)), "prior", rows,
                clipMean.length);
    }

    /** One request's prior loop (its result: {@code [N,D]} un-normalised image embeddings). Stepped by one thread at a time. */
    public final class Run extends PipelineRun<Request> {

        private final ClassifierFreeGuidance cfg;
        private final TextConditioning modelText;
        private final ProgressListener progress;
        private final Sampler sampler;
        private final int[] timesteps;
        private int i;
        private Tensor latents;
        /** The previous step, for multistep samplers. */
        private Sampler.History history;

        private Run(Request request, long[] seeds, ClassifierFreeGuidance cfg, TextConditioning modelText,
                ProgressListener progress) {
            super(request, seeds);
            this.cfg = cfg;
            this.modelText = modelText;
            this.progress = progress;
            this.sampler = request.preset() == null ? PriorPipeline.this.sampler
                    : presets.getOrDefault(request.preset(), PriorPipeline.this.sampler);
            this.timesteps = sampler.timesteps(request.steps());
            this.latents = request.noise().draw(seeds, SeededNoise.PRIOR, SeededNoise.INITIAL, rowShape());
            if (timesteps.length == 0) {
                finish();
            }
        }

        private long[] rowShape() {
            return new long[] {clipMean.length};
        }

        @Override
        int timestep() {
            return timesteps[i];
        }

        @Override
        int modelRows() {
            return cfg.enabled() ? 2 * seeds.length : seeds.length;
        }

        @Override
        Tensor modelInput() {
            return cfg.enabled() ? Tensor.concat(latents, latents) : latents;
        }

        @Override
        void advance(Tensor x0) {
            int t = timesteps[i];
            int prevT = TimestepSpacing.previous(timesteps, i);
            Checks.finite(x0, "prior at step " + (i + 1) + "/" + timesteps.length + " (t=" + t + ")");
            Tensor guided = cfg.enabled() ? cfg.combine(x0) : x0;
            Tensor z = sampler.addsNoise(t, prevT)
                    ? request().noise().draw(seeds, SeededNoise.PRIOR, i + 1, rowShape())
                    : null;
            StepResult step = sampler.step(guided, t, prevT, latents, z, history);
            latents = Checks.finite(step.prevSample(), "prior step " + (i + 1));
            history = new Sampler.History(t, step.predictedOriginal());
            i++;
            progress.onStep(new StepProgress(StepProgress.PRIOR, i, timesteps.length, step.predictedOriginal()));
            if (i == timesteps.length) {
                finish();
            }
        }

        private void finish() {
            finish(Checks.finite(denormalise(latents), "prior (denormalised with clip_mean/clip_std)"));
            latents = null;
        }
    }

    private Tensor denormalise(Tensor z) {
        float[] x = z.data();
        int d = clipMean.length;
        for (int i = 0; i < x.length; i++) {
            x[i] = x[i] * clipStd[i % d] + clipMean[i % d];
        }
        return new Tensor(z.shape(), x);
    }
}
