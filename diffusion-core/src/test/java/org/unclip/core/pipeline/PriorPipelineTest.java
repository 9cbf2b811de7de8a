package org.unclip.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.unclip.core.pipeline.Fixtures.D;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.unclip.core.noise.NoiseSource;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.sampler.DdpmSampler;
import org.unclip.core.sampler.PredictionType;
import org.unclip.core.sampler.VarianceType;
import org.unclip.core.schedule.BetaSchedule;
import org.unclip.core.schedule.NoiseSchedule;
import org.unclip.core.tensor.Tensor;

class PriorPipelineTest {

    private static final float[] MEAN = {1, 2, 3, 4};
    private static final float[] STD = {0.5f, 0.5f, 2, 1};
    private static final DdpmSampler SAMPLER = new DdpmSampler(
            NoiseSchedule.create(BetaSchedule.SQUAREDCOS_CAP_V2, 1000), PredictionType.SAMPLE,
            VarianceType.FIXED_SMALL_LOG, 10.0);
    private static final TextConditioning UNCOND = Fixtures.text(-5, 1, new boolean[] {true, true, false});

    /** A prior that predicts x0 = 0.5·sample + 0.1·text embedding: depends on everything it sees. */
    private static final PriorDenoiser MIXING = (sample, t, text) -> {
        float[] x = sample.data();
        float[] e = text.textEmbeds().data();
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.5f * x[i] + 0.1f * e[i] + t * 1e-4f;
        }
        return new Tensor(sample.shape(), x);
    };

    private static PriorPipeline.Request request(TextConditioning text, List<Long> seeds, int steps, double g) {
        return new PriorPipeline.Request(text, UNCOND, seeds, steps, g);
    }

    @Test
    void guidedBatchesPutUnconditionalRowsFirst() {
        TextConditioning cond = Fixtures.text(7, 2, new boolean[] {true, true, true});
        List<TextConditioning> seen = new ArrayList<>();
        List<Integer> timesteps = new ArrayList<>();
        PriorDenoiser spy = (sample, t, text) -> {
            assertThat(sample.shape()).containsExactly(4, D);
            assertThat(sample.row(0)).isEqualTo(sample.row(2));
            seen.add(text);
            timesteps.add(t);
            return MIXING.predict(sample, t, text);
        };
        new PriorPipeline(SAMPLER, MEAN, STD, spy).generate(request(cond, List.of(1L, 2L), 3, 4.0),
                ProgressListener.NONE, () -> false);
        assertThat(timesteps).containsExactly(999, 500, 0);
        TextConditioning text = seen.get(0);
        assertThat(text.textEmbeds().slice(0, 2)).isEqualTo(UNCOND.textEmbeds().broadcastBatch(2));
        assertThat(text.textEmbeds().slice(2, 4)).isEqualTo(cond.textEmbeds());
        assertThat(text.mask().slice(0, 1)).isEqualTo(UNCOND.mask());
    }

    @Test
    void withoutGuidanceOnlyConditionalRowsRun() {
        TextConditioning cond = Fixtures.text(7, 1, new boolean[] {true, true, true});
        AtomicInteger rows = new AtomicInteger();
        PriorDenoiser spy = (sample, t, text) -> {
            rows.set(sample.batch());
            assertThat(text.textEmbeds().row(0)).isEqualTo(cond.textEmbeds());
            return MIXING.predict(sample, t, text);
        };
        new PriorPipeline(SAMPLER, MEAN, STD, spy).generate(request(cond, List.of(1L, 2L, 3L), 2, 1.0),
                ProgressListener.NONE, () -> false);
        assertThat(rows.get()).isEqualTo(3);
    }

    @Test
    void eachEmbeddingDependsOnItsOwnSeedOnly() {
        TextConditioning cond = Fixtures.text(3, 1, new boolean[] {true, true, false});
        PriorPipeline p = new PriorPipeline(SAMPLER, MEAN, STD, MIXING);
        Tensor batch = p.generate(request(cond, List.of(11L, 12L, 13L), 5, 4.0), ProgressListener.NONE, () -> false);
        Tensor alone = p.generate(request(cond, List.of(11L), 5, 4.0), ProgressListener.NONE, () -> false);
        Tensor again = p.generate(request(cond, List.of(11L, 12L, 13L), 5, 4.0), ProgressListener.NONE, () -> false);
        assertThat(batch.shape()).containsExactly(3, D);
        assertThat(batch.row(0)).isEqualTo(alone);
        assertThat(again).isEqualTo(batch);
        assertThat(batch.row(1)).isNotEqualTo(batch.row(0));
    }

    @Test
    void denormalisesTheFinalPrediction() {
        // The last DDPM step returns (β_0/(1−ᾱ_0))·x0; with x0 = 0 that is exactly 0, so the result is the mean.
        PriorDenoiser zero = (sample, t, text) -> Tensor.zeros(sample.shape());
        Tensor out = new PriorPipeline(SAMPLER, MEAN, STD, zero)
                .generate(request(Fixtures.text(1, 1, new boolean[] {true, false, false}), List.of(5L), 4, 2.0),
                        ProgressListener.NONE, () -> false);
        assertThat(out.data()).containsExactly(MEAN);
    }

    @Test
    void startsFromInjectedNoise() {
        TextConditioning cond = Fixtures.text(2, 1, new boolean[] {true, true, true});
        Tensor xT = Tensor.filled(0.75f, 1, D);
        List<Tensor> firstInputs = new ArrayList<>();
        PriorDenoiser spy = (sample, t, text) -> {
            firstInputs.add(sample);
            return MIXING.predict(sample, t, text);
        };
        NoiseSource noise = NoiseSource.seeded().withInitial(SeededNoise.PRIOR, xT);
        new PriorPipeline(SAMPLER, MEAN, STD, spy).generate(
                new PriorPipeline.Request(cond, UNCOND, List.of(9L), 2, 1.0, noise), ProgressListener.NONE, () -> false);
        assertThat(firstInputs.get(0)).isEqualTo(xT);
    }

    @Test
    void reportsEveryStepAndStopsWhenCancelled() {
        TextConditioning cond = Fixtures.text(2, 1, new boolean[] {true, true, true});
        AtomicInteger calls = new AtomicInteger();
        PriorDenoiser counting = (sample, t, text) -> {
            calls.incrementAndGet();
            return MIXING.predict(sample, t, text);
        };
        List<StepProgress> events = new ArrayList<>();
        PriorPipeline p = new PriorPipeline(SAMPLER, MEAN, STD, counting);
        p.generate(request(cond, List.of(1L), 4, 3.0), events::add, () -> false);
        assertThat(events).extracting(StepProgress::step).containsExactly(1, 2, 3, 4);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.stage()).isEqualTo("prior");
            assertThat(e.totalSteps()).isEqualTo(4);
            assertThat(e.predictedOriginal().shape()).containsExactly(1, D);
        });

        calls.set(0);
        events.clear();
        assertThatThrownBy(() -> p.generate(request(cond, List.of(1L), 10, 3.0), events::add, () -> events.size() >= 2))
                .isInstanceOf(CancellationException.class);
        assertThat(calls.get()).isEqualTo(2);
    }

    @Test
    void failsOnNonFiniteOutput() {
        PriorDenoiser broken = (sample, t, text) -> t < 900 ? Tensor.filled(Float.NaN, sample.shape()) : sample;
        PriorPipeline p = new PriorPipeline(SAMPLER, MEAN, STD, broken);
        assertThatThrownBy(() -> p.generate(request(Fixtures.text(1, 1, new boolean[] {true, true, true}),
                List.of(1L), 25, 4.0), ProgressListener.NONE, () -> false))
                .isInstanceOf(NonFiniteOutputException.class)
                .hasMessageContaining("prior at step 4/25 (t=874)").hasMessageContaining("NaN");
    }

    @Test
    void rejectsMismatchedRequests() {
        PriorPipeline p = new PriorPipeline(SAMPLER, MEAN, STD, MIXING);
        TextConditioning two = Fixtures.text(1, 2, new boolean[] {true, true, true});
        assertThatThrownBy(() -> p.generate(request(two, List.of(1L, 2L, 3L), 2, 4.0), ProgressListener.NONE,
                () -> false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broadcast");
        assertThatThrownBy(() -> p.generate(request(two, List.of(), 2, 4.0), ProgressListener.NONE, () -> false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seed");
    }
}
