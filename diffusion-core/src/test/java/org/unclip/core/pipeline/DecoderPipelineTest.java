package org.unclip.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.unclip.core.pipeline.Fixtures.D;
import static org.unclip.core.pipeline.Fixtures.L;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.unclip.core.image.BicubicResize;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.sampler.DdpmSampler;
import org.unclip.core.sampler.PredictionType;
import org.unclip.core.sampler.Sampler;
import org.unclip.core.sampler.VarianceType;
import org.unclip.core.schedule.BetaSchedule;
import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.tensor.Tensor;

class DecoderPipelineTest {

    private static final NoiseSchedule COSINE = NoiseSchedule.create(BetaSchedule.SQUAREDCOS_CAP_V2, 1000);
    private static final Sampler LEARNED = new DdpmSampler(COSINE, PredictionType.EPSILON, VarianceType.LEARNED_RANGE, 1);
    private static final Sampler FIXED = new DdpmSampler(COSINE, PredictionType.EPSILON, VarianceType.FIXED_SMALL_LOG, 1);
    private static final float[] CFG_EMBEDDING = {9, 9, 9, 9};
    private static final int CONTEXT = 2;
    private static final TextConditioning UNCOND = Fixtures.text(-5, 1, new boolean[] {true, true, false});
    private static final TextConditioning COND = Fixtures.text(5, 1, new boolean[] {true, true, true});

    /** Context tokens = the image embedding's first W values, twice; then the text tokens. */
    private static final TextProjection PROJECTION = (image, textEmbeds, hidden) -> {
        int b = image.batch();
        int w = (int) hidden.dim(2);
        float[] h = new float[b * (CONTEXT + L) * w];
        float[] add = new float[b * 3];
        for (int i = 0; i < b; i++) {
            float[] img = image.rowData(i);
            float[] txt = hidden.rowData(i);
            for (int k = 0; k < CONTEXT; k++) {
                System.arraycopy(img, 0, h, (i * (CONTEXT + L) + k) * w, w);
            }
            System.arraycopy(txt, 0, h, (i * (CONTEXT + L) + CONTEXT) * w, L * w);
            add[i * 3] = img[0] * 0.01f + textEmbeds.rowData(i)[0] * 0.01f;
        }
        return new TextProjection.Projection(Tensor.of(h, b, CONTEXT + L, w), Tensor.of(add, b, 3));
    };

    /** ε = 0.1·x + class_labels[0]; v = 0.3. */
    private static final DecoderDenoiser DECODER = (sample, t, c) -> {
        float[] x = sample.data();
        int row = sample.rowSize();
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.1f * x[i] + c.timeEmbedAdd().rowData(i / row)[0];
        }
        Tensor eps = new Tensor(sample.shape(), x);
        return Tensor.concatChannels(eps, Tensor.filled(0.3f, sample.shape()));
    };

    /** ε = 0.2·x_t − 0.1·low-res. */
    private static final UpsamplerDenoiser UPSAMPLER = (sample, t, last) -> {
        int b = sample.batch();
        int plane = (int) (sample.dim(2) * sample.dim(3));
        float[] in = sample.data();
        float[] out = new float[b * 3 * plane];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < 3 * plane; j++) {
                out[i * 3 * plane + j] = 0.2f * in[i * 6 * plane + j] - 0.1f * in[i * 6 * plane + 3 * plane + j];
            }
        }
        return Tensor.of(out, b, 3, sample.dim(2), sample.dim(3));
    };

    private static DecoderPipeline pipeline(TextProjection proj, DecoderDenoiser dec, UpsamplerDenoiser up1,
            UpsamplerDenoiser up2) {
        return new DecoderPipeline(new DecoderPipeline.Stage(LEARNED, 4), CFG_EMBEDDING, proj, dec,
                List.of(new DecoderPipeline.Stage(FIXED, 8), new DecoderPipeline.Stage(FIXED, 16)), List.of(up1, up2));
    }

    private static DecoderPipeline standard() {
        return pipeline(PROJECTION, DECODER, UPSAMPLER, UPSAMPLER);
    }

    private static Tensor embeds(long... seeds) {
        return SeededNoise.batch(seeds, 60, 0, D);
    }

    private static DecoderPipeline.Request request(long[] seeds, double guidance, int size, List<Integer> upSteps) {
        List<Long> s = new ArrayList<>();
        for (long x : seeds) {
            s.add(x);
        }
        return new DecoderPipeline.Request(embeds(seeds), COND, UNCOND, s, 3, guidance, upSteps, size);
    }

    @Test
    void conditionsUnconditionalRowsOnTheLearnedEmbeddingAndEmptyText() {
        List<Tensor> images = new ArrayList<>();
        List<Tensor> texts = new ArrayList<>();
        List<DecoderConditioning> seen = new ArrayList<>();
        TextProjection spy = (image, textEmbeds, hidden) -> {
            images.add(image);
            texts.add(textEmbeds);
            return PROJECTION.project(image, textEmbeds, hidden);
        };
        DecoderDenoiser decoderSpy = (sample, t, c) -> {
            seen.add(c);
            return DECODER.predict(sample, t, c);
        };
        long[] seeds = {1, 2};
        pipeline(spy, decoderSpy, UPSAMPLER, UPSAMPLER).generate(request(seeds, 3.0, 4, List.of()),
                ProgressListener.NONE, () -> false);

        assertThat(images).hasSize(1); // text_proj runs once per request
        assertThat(images.get(0).slice(0, 2)).isEqualTo(Tensor.of(CFG_EMBEDDING, 1, D).broadcastBatch(2));
        assertThat(images.get(0).slice(2, 4)).isEqualTo(embeds(seeds));
        assertThat(texts.get(0).slice(0, 2)).isEqualTo(UNCOND.textEmbeds().broadcastBatch(2));
        assertThat(texts.get(0).slice(2, 4)).isEqualTo(COND.textEmbeds().broadcastBatch(2));
        assertThat(seen).hasSize(3);
        assertThat(seen.get(0).attentionMask().shape()).containsExactly(4, CONTEXT + L);
        assertThat(seen.get(0).attentionMask().slice(0, 1).data()).containsExactly(true, true, true, true, false);
        assertThat(seen.get(0).attentionMask().slice(2, 3).data()).containsExactly(true, true, true, true, true);
    }

    @Test
    void guidesEpsilonOnlyAndKeepsTheConditionalVariance() {
        // With v = 0.3 from the conditional rows and a different v from the unconditional rows,
        // only the conditional one may reach the sampler: compare with a hand-run loop.
        DecoderDenoiser splitVariance = (sample, t, c) -> {
            Tensor out = DECODER.predict(sample, t, c);
            int n = sample.batch() / 2;
            Tensor uncondVariance = Tensor.filled(-0.9f, n, 3, 4, 4);
            Tensor uncond = Tensor.concatChannels(eps(out.slice(0, n)), uncondVariance);
            return Tensor.concat(uncond, out.slice(n, 2 * n));
        };
        long[] seeds = {4};
        Tensor got = pipeline(PROJECTION, splitVariance, UPSAMPLER, UPSAMPLER)
                .generate(request(seeds, 2.0, 4, List.of()), ProgressListener.NONE, () -> false);
        Tensor expected = standard().generate(request(seeds, 2.0, 4, List.of()), ProgressListener.NONE, () -> false);
        assertThat(got).isEqualTo(expected);
    }

    private static Tensor eps(Tensor sixChannels) {
        int b = sixChannels.batch();
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            float[] r = sixChannels.rowData(i);
            rows.add(java.util.Arrays.copyOf(r, r.length / 2));
        }
        return Tensor.ofRows(rows, 3, 4, 4);
    }

    @Test
    void upsamplersSeeTheResizedClampedImageAndStopAtTheRequestedSize() {
        long[] seeds = {21, 22};
        Tensor base = standard().generate(request(seeds, 3.0, 4, List.of()), ProgressListener.NONE, () -> false);
        assertThat(base.shape()).containsExactly(2, 3, 4, 4);
        for (int i = 0; i < base.size(); i++) {
            assertThat(base.get(i)).isBetween(-1f, 1f);
        }

        List<Boolean> lastFlags = new ArrayList<>();
        List<Tensor> lowRes = new ArrayList<>();
        UpsamplerDenoiser spy = (sample, t, last) -> {
            lastFlags.add(last);
            assertThat(sample.shape()).containsExactly(2, 6, 8, 8);
            List<float[]> rows = new ArrayList<>();
            for (int b = 0; b < 2; b++) {
                float[] r = sample.rowData(b);
                rows.add(java.util.Arrays.copyOfRange(r, r.length / 2, r.length));
            }
            lowRes.add(Tensor.ofRows(rows, 3, 8, 8));
            return UPSAMPLER.predict(sample, t, last);
        };
        UpsamplerDenoiser never = (sample, t, last) -> {
            throw new AssertionError("the 16px upsampler must not run for size 8");
        };
        Tensor out = pipeline(PROJECTION, DECODER, spy, never)
                .generate(request(seeds, 3.0, 8, List.of(4)), ProgressListener.NONE, () -> false);
        assertThat(out.shape()).containsExactly(2, 3, 8, 8);
        assertThat(lastFlags).containsExactly(false, false, false, true);
        assertThat(lowRes).allSatisfy(l -> assertThat(l).isEqualTo(BicubicResize.resize(base, 8)));
    }

    @Test
    void eachImageDependsOnItsOwnSeedOnly() {
        DecoderPipeline p = standard();
        Tensor batch = p.generate(request(new long[] {31, 32, 33}, 3.0, 16, List.of(2, 3)), ProgressListener.NONE,
                () -> false);
        Tensor alone = p.generate(request(new long[] {31}, 3.0, 16, List.of(2, 3)), ProgressListener.NONE, () -> false);
        assertThat(batch.shape()).containsExactly(3, 3, 16, 16);
        assertThat(batch.row(0)).isEqualTo(alone);
        assertThat(batch.row(1)).isNotEqualTo(batch.row(0));
    }

    @Test
    void reportsStagesInOrderAndCancelsBetweenSteps() {
        List<StepProgress> events = new ArrayList<>();
        standard().generate(request(new long[] {1}, 1.0, 16, List.of(2, 2)), events::add, () -> false);
        assertThat(events).extracting(e -> e.stage() + ":" + e.step() + "/" + e.totalSteps()).containsExactly(
                "decoder:1/3", "decoder:2/3", "decoder:3/3", "upsampler-1:1/2", "upsampler-1:2/2", "upsampler-2:1/2",
                "upsampler-2:2/2");
        assertThat(events.get(0).predictedOriginal().shape()).containsExactly(1, 3, 4, 4);

        List<Integer> upsamplerCalls = new ArrayList<>();
        UpsamplerDenoiser counting = (s, t, last) -> {
            upsamplerCalls.add(t);
            return UPSAMPLER.predict(s, t, last);
        };
        List<StepProgress> seen = new ArrayList<>();
        assertThatThrownBy(() -> pipeline(PROJECTION, DECODER, counting, counting).generate(
                request(new long[] {1}, 1.0, 16, List.of(5, 5)), seen::add, () -> seen.size() >= 4))
                .isInstanceOf(CancellationException.class).hasMessageContaining("upsampler-1");
        assertThat(upsamplerCalls).hasSize(1);
    }

    @Test
    void failsOnNonFiniteOutputs() {
        TextProjection nanProj = (image, text, hidden) -> {
            TextProjection.Projection p = PROJECTION.project(image, text, hidden);
            return new TextProjection.Projection(p.encoderHiddenStates(), Tensor.filled(Float.NaN, p.timeEmbedAdd().shape()));
        };
        assertThatThrownBy(() -> pipeline(nanProj, DECODER, UPSAMPLER, UPSAMPLER)
                .generate(request(new long[] {1}, 3.0, 4, List.of()), ProgressListener.NONE, () -> false))
                .isInstanceOf(NonFiniteOutputException.class).hasMessageContaining("text_proj");
        UpsamplerDenoiser inf = (s, t, last) -> Tensor.filled(Float.POSITIVE_INFINITY, s.dim(0), 3, s.dim(2), s.dim(3));
        assertThatThrownBy(() -> pipeline(PROJECTION, DECODER, inf, UPSAMPLER)
                .generate(request(new long[] {1}, 3.0, 8, List.of(2)), ProgressListener.NONE, () -> false))
                .isInstanceOf(NonFiniteOutputException.class).hasMessageContaining("upsampler-1 at step 1/2");
    }

    @Test
    void rejectsSizesItCannotProduce() {
        assertThatThrownBy(() -> standard().generate(request(new long[] {1}, 3.0, 12, List.of()),
                ProgressListener.NONE, () -> false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 8, 16]");
        assertThatThrownBy(() -> standard().generate(request(new long[] {1}, 3.0, 16, List.of(2)),
                ProgressListener.NONE, () -> false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 upsampler");
    }
}
