package org.unclip.core.pipeline;

import java.util.List;
import java.util.function.BooleanSupplier;
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
public final class PriorPipeline {

    private final Sampler sampler;
    private final float[] clipMean;
    private final float[] clipStd;
    private final PriorDenoiser prior;

    public PriorPipeline(Sampler sampler, float[] clipMean, float[] clipStd, PriorDenoiser prior) {
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
        return new PriorPipeline(spec.sampling().newSampler(), spec.clipMean(), spec.clipStd(), prior);
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
     */
    public record Request(
            TextConditioning text, TextConditioning unconditional, List<Long> seeds, int steps,
            double guidanceScale, NoiseSource noise) {

        public Request {
            seeds = List.copyOf(seeds);
        }

        public Request(TextConditioning text, TextConditioning unconditional, List<Long> seeds, int steps,
                double guidanceScale) {
            this(text, unconditional, seeds, steps, guidanceScale, NoiseSource.seeded());
        }
    }

    /**
     * Runs the loop.
     *
     * @return {@code [N,D]} un-normalised image embeddings
     * @throws java.util.concurrent.CancellationException when {@code cancelled} turns true (checked before every step)
     * @throws NonFiniteOutputException when the model produces NaN or infinity
     */
    public Tensor generate(Request request, ProgressListener progress, BooleanSupplier cancelled) {
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
        int rows = modelText.batch();

        Tensor latents = request.noise().draw(seeds, SeededNoise.PRIOR, SeededNoise.INITIAL, new long[] {d});
        int[] timesteps = sampler.timesteps(request.steps());
        for (int i = 0; i < timesteps.length; i++) {
            Checks.notCancelled(cancelled, StepProgress.PRIOR);
            int t = timesteps[i];
            int prevT = TimestepSpacing.previous(timesteps, i);
            // 1. predict x0 for [uncond; cond] in one batch, then guide
            Tensor input = cfg.enabled() ? Tensor.concat(latents, latents) : latents;
            Tensor x0 = Checks.finite(Checks.shaped(prior.predict(input, t, modelText), "prior", rows, d),
                    "prior at step " + (i + 1) + "/" + timesteps.length + " (t=" + t + ")");
            Tensor guided = cfg.enabled() ? cfg.combine(x0) : x0;
            // 2. x_t -> x_prev
            Tensor z = sampler.addsNoise(t, prevT)
                    ? request.noise().draw(seeds, SeededNoise.PRIOR, i + 1, new long[] {d})
                    : null;
            StepResult step = sampler.step(guided, t, prevT, latents, z);
            latents = Checks.finite(step.prevSample(), "prior step " + (i + 1));
            progress.onStep(new StepProgress(StepProgress.PRIOR, i + 1, timesteps.length, step.predictedOriginal()));
        }
        return Checks.finite(denormalise(latents), "prior (denormalised with clip_mean/clip_std)");
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
