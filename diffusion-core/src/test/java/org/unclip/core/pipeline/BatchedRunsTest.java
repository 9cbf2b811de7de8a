package org.unclip.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.family.Preset;
import org.unclip.core.family.UpsamplerSpec;
import org.unclip.core.onnx.OnnxDecoderStages;
import org.unclip.core.onnx.OnnxPriorStage;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.Tensor;

/**
 * Runs stepped together, joining and leaving at different steps, with different step counts,
 * guidance scales, sizes and seeds, give exactly the values each gives alone, on the family's real
 * ONNX graphs (one batched call per network and step).
 */
class BatchedRunsTest {

    private static ModelFamily family;
    private static OnnxPriorStage prior;
    private static OnnxDecoderStages decoder;

    @BeforeAll
    static void load() {
        Path dir = FamilyParityTest.root().resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
        family = ModelFamily.load(dir);
        prior = OnnxPriorStage.load(family, 1);
        decoder = OnnxDecoderStages.load(family, 1);
    }

    @AfterAll
    static void close() {
        prior.close();
        decoder.close();
    }

    private static TextConditioning text(long seed, int batch) {
        Random random = new Random(seed);
        int d = family.embeddingDim();
        int l = family.contextLength();
        int w = family.textWidth();
        float[] embeds = new float[batch * d];
        float[] hidden = new float[batch * l * w];
        boolean[] mask = new boolean[batch * l];
        for (int i = 0; i < embeds.length; i++) {
            embeds[i] = (float) random.nextGaussian() * 0.2f;
        }
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) random.nextGaussian();
        }
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < 3 + seed % 5; t++) {
                mask[b * l + t] = true;
            }
        }
        return new TextConditioning(Tensor.of(embeds, batch, d), Tensor.of(hidden, batch, l, w),
                BoolTensor.of(mask, batch, l));
    }

    private static Tensor embeds(long seed, int n) {
        Random random = new Random(seed);
        float[] x = new float[n * family.embeddingDim()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian() * 0.15f;
        }
        return Tensor.of(x, n, family.embeddingDim());
    }

    private static List<DecoderPipeline.Request> decoderRequests() {
        int base = family.decoder().resolution();
        List<Integer> sizes = new ArrayList<>(List.of(base));
        family.upsamplers().forEach(u -> sizes.add(u.outputResolution()));
        int top = sizes.get(sizes.size() - 1);
        List<DecoderPipeline.Request> requests = new ArrayList<>();
        // two images, guided, the whole cascade, at the fast preset's samplers (DPM-Solver++ in the shipped
        // family: each run keeps its own history)
        requests.add(new DecoderPipeline.Request(embeds(1, 2), text(1, 1), text(0, 1), List.of(11L, 12L), 5, 3.0,
                ups(family.upsamplers().size(), 2), top, Preset.FAST));
        // unguided (no unconditional rows), one image, one upsampler fewer
        int mid = sizes.size() > 1 ? sizes.size() - 2 : 0;
        requests.add(new DecoderPipeline.Request(embeds(2, 1), text(2, 1), text(0, 1), List.of(13L), 3, 1.0,
                ups(mid, 3), sizes.get(mid)));
        // another guidance scale and step count, per-image text, base size only
        requests.add(new DecoderPipeline.Request(embeds(3, 3), text(3, 3), text(0, 1), List.of(14L, 15L, 16L), 4,
                5.0, List.of(), base));
        return requests;
    }

    private static List<Integer> ups(int count, int steps) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(steps + i);
        }
        return out;
    }

    private static ExecutorService lanes;

    @BeforeAll
    static void startLanes() {
        lanes = Executors.newFixedThreadPool(2);
    }

    @AfterAll
    static void stopLanes() {
        lanes.shutdownNow();
    }

    /** Model calls per network and step: 1 (one batched call), or cut into parts run on two threads. */
    static IntStream parts() {
        return IntStream.of(1, 2, 3, 5);
    }

    private static Executor executor(int parts) {
        return parts == 1 ? Runnable::run : lanes;
    }

    @ParameterizedTest(name = "{0} part(s)")
    @MethodSource("parts")
    void decoderRunsGiveTheSameImagesAloneAndBatched(int parts) {
        DecoderPipeline pipeline = decoder.pipeline();
        List<DecoderPipeline.Request> requests = decoderRequests();
        List<Tensor> alone = new ArrayList<>();
        for (DecoderPipeline.Request r : requests) {
            alone.add(pipeline.generate(r, ProgressListener.NONE, () -> false));
        }

        Map<Integer, List<String>> progress = new HashMap<>();
        List<DecoderPipeline.Run> runs = new ArrayList<>();
        List<DecoderPipeline.Run> active = new ArrayList<>();
        int steps = 0;
        // request k joins after 2k steps of the batch
        while (runs.size() < requests.size() || active.stream().anyMatch(r -> !r.done())) {
            if (runs.size() < requests.size() && steps == 2 * runs.size()) {
                int k = runs.size();
                DecoderPipeline.Run run = pipeline.start(requests.get(k), p -> progress
                        .computeIfAbsent(k, x -> new ArrayList<>()).add(p.stage() + " " + p.step() + "/" + p.totalSteps()));
                runs.add(run);
                active.add(run);
            }
            pipeline.step(active, (r, e) -> {
                throw e;
            }, executor(parts), parts);
            active.removeIf(DecoderPipeline.Run::done);
            steps++;
        }
        for (int k = 0; k < requests.size(); k++) {
            assertThat(runs.get(k).result()).as("request %d batched vs alone", k).isEqualTo(alone.get(k));
        }
        assertThat(progress.get(0)).startsWith("decoder 1/5").contains("decoder 5/5");
        assertThat(progress.get(2)).containsExactly("decoder 1/4", "decoder 2/4", "decoder 3/4", "decoder 4/4");
    }

    @ParameterizedTest(name = "{0} part(s)")
    @MethodSource("parts")
    void priorRunsGiveTheSameEmbeddingsAloneAndBatched(int parts) {
        PriorPipeline pipeline = prior.pipeline();
        List<PriorPipeline.Request> requests = List.of(
                new PriorPipeline.Request(text(4, 1), text(0, 1), List.of(1L, 2L), 6, 4.0, Preset.FAST),
                new PriorPipeline.Request(text(5, 2), text(0, 1), List.of(3L, 4L), 3, 1.0),
                new PriorPipeline.Request(text(6, 1), text(0, 1), List.of(5L), 5, 2.0));
        List<Tensor> alone = new ArrayList<>();
        for (PriorPipeline.Request r : requests) {
            alone.add(pipeline.generate(r, ProgressListener.NONE, () -> false));
        }
        List<PriorPipeline.Run> runs = new ArrayList<>();
        for (PriorPipeline.Request r : requests) {
            runs.add(pipeline.start(r, ProgressListener.NONE));
        }
        List<PriorPipeline.Run> active = new ArrayList<>(runs);
        while (!active.isEmpty()) {
            pipeline.step(active, (r, e) -> {
                throw e;
            }, executor(parts), parts);
            active.removeIf(PriorPipeline.Run::done);
        }
        for (int k = 0; k < requests.size(); k++) {
            assertThat(runs.get(k).result()).as("request %d batched vs alone", k).isEqualTo(alone.get(k));
        }
    }

    @Test
    void aPresetRunsItsOwnSampler() {
        DecoderPipeline.Request fast = decoderRequests().get(0);
        DecoderPipeline.Request plain = new DecoderPipeline.Request(fast.imageEmbeds(), fast.text(),
                fast.unconditional(), fast.seeds(), fast.decoderSteps(), fast.guidanceScale(), fast.upsamplerSteps(),
                fast.outputSize());
        Tensor a = decoder.pipeline().generate(fast, ProgressListener.NONE, () -> false);
        Tensor b = decoder.pipeline().generate(plain, ProgressListener.NONE, () -> false);
        boolean differentSampler = family.decoder().sampling().samplerFor(Preset.FAST)
                != family.decoder().sampling().sampler();
        assertThat(a.equals(b)).as("fast preset vs the default sampler").isEqualTo(!differentSampler);
    }

    @Test
    void aFailingNetworkCallFailsOnlyTheRunsInIt() {
        // an upsampler that always fails: runs still in the decoder loop go on
        List<DecoderPipeline.Stage> stages = new ArrayList<>();
        List<UpsamplerDenoiser> nets = new ArrayList<>();
        family.upsamplers().forEach(u -> {
            stages.add(new DecoderPipeline.Stage(u.sampling().newSampler(), u.outputResolution()));
            nets.add((sample, t, last) -> {
                throw new IllegalStateException("upsampler down");
            });
        });
        if (stages.isEmpty()) {
            return;
        }
        DecoderPipeline pipeline = new DecoderPipeline(
                new DecoderPipeline.Stage(family.decoder().sampling().newSampler(), family.decoder().resolution()),
                family.decoder().cfgImageEmbedding(), BatchedRunsTest::zeroProjection,
                (s, t, c) -> Tensor.zeros(s.batch(), 6, s.dim(2), s.dim(3)), stages, nets);
        DecoderPipeline.Request up = new DecoderPipeline.Request(embeds(1, 1), text(1, 1), text(0, 1), List.of(1L), 1,
                1.0, List.of(1), stages.get(0).resolution());
        DecoderPipeline.Request base = new DecoderPipeline.Request(embeds(1, 1), text(1, 1), text(0, 1), List.of(2L), 4,
                1.0, List.of(), family.decoder().resolution());
        DecoderPipeline.Run a = pipeline.start(up, ProgressListener.NONE);
        DecoderPipeline.Run b = pipeline.start(base, ProgressListener.NONE);
        List<DecoderPipeline.Run> failed = new ArrayList<>();
        pipeline.step(List.of(a, b), (r, e) -> failed.add(r)); // decoder step for both; a moves on to the upsampler
        assertThat(failed).isEmpty();
        pipeline.step(List.of(a, b), (r, e) -> {
            assertThat(e).hasMessage("upsampler down");
            failed.add(r);
        });
        assertThat(failed).containsExactly(a);
        assertThat(a.done()).isFalse();
        assertThat(b.done()).isFalse();
        assertThatThrownBy(a::result).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void onlyACallThatRunsAloneInItsStepIsToldSo() {
        if (family.upsamplers().isEmpty()) {
            return;
        }
        List<Boolean> alone = java.util.Collections.synchronizedList(new ArrayList<>());
        UpsamplerDenoiser net = new UpsamplerDenoiser() {
            @Override
            public Tensor predict(Tensor sample, int t, boolean last) {
                throw new AssertionError("the batched call is used");
            }

            @Override
            public Tensor predict(Tensor sample, long[] timesteps, boolean last, boolean isAlone) {
                alone.add(isAlone);
                return Tensor.zeros(sample.batch(), 3, sample.dim(2), sample.dim(3));
            }
        };
        UpsamplerSpec u = family.upsamplers().get(0);
        DecoderPipeline pipeline = new DecoderPipeline(
                new DecoderPipeline.Stage(family.decoder().sampling().newSampler(), family.decoder().resolution()),
                family.decoder().cfgImageEmbedding(), BatchedRunsTest::zeroProjection,
                (x, t, c) -> Tensor.zeros(x.batch(), 6, x.dim(2), x.dim(3)),
                List.of(new DecoderPipeline.Stage(u.sampling().newSampler(), u.outputResolution())), List.of(net));
        DecoderPipeline.Request one = new DecoderPipeline.Request(embeds(1, 1), text(1, 1), text(0, 1), List.of(1L), 1,
                1.0, List.of(2), u.outputResolution());
        DecoderPipeline.Run a = pipeline.start(one, ProgressListener.NONE);
        DecoderPipeline.Run b = pipeline.start(one, ProgressListener.NONE);
        pipeline.step(List.of(a, b), (r, e) -> {
            throw e;
        }, lanes, 2); // the decoder step; both enter the upsampler
        pipeline.step(List.of(a, b), (r, e) -> {
            throw e;
        }, lanes, 2); // two one-row parts side by side
        assertThat(alone).containsExactly(false, false);
        alone.clear();
        pipeline.step(List.of(a), (r, e) -> {
            throw e;
        }, lanes, 2); // one row: one part, alone
        assertThat(alone).containsExactly(true);
        assertThat(a.done()).isTrue();
    }

    @Test
    void aRunCutAcrossTwoCallsFailsOnceWhenOneOfThemFails() {
        AtomicInteger calls = new AtomicInteger();
        DecoderPipeline pipeline = new DecoderPipeline(
                new DecoderPipeline.Stage(family.decoder().sampling().newSampler(), family.decoder().resolution()),
                family.decoder().cfgImageEmbedding(), BatchedRunsTest::zeroProjection,
                (s, t, c) -> {
                    assertThat(s.batch()).as("each call gets one of the run's two guided rows").isEqualTo(1);
                    if (calls.incrementAndGet() == 2) {
                        throw new IllegalStateException("decoder down");
                    }
                    return Tensor.zeros(s.batch(), 6, s.dim(2), s.dim(3));
                }, List.of(), List.of());
        DecoderPipeline.Request guided = new DecoderPipeline.Request(embeds(1, 1), text(1, 1), text(0, 1),
                List.of(1L), 3, 3.0, List.of(), family.decoder().resolution());
        List<String> steps = new ArrayList<>();
        DecoderPipeline.Run run = pipeline.start(guided, p -> steps.add(p.stage() + " " + p.step()));
        List<RuntimeException> failures = new ArrayList<>();
        pipeline.step(List.of(run), (r, e) -> failures.add(e), lanes, 2);
        assertThat(calls).hasValue(2);
        assertThat(failures).singleElement().satisfies(e -> assertThat(e).hasMessage("decoder down"));
        assertThat(steps).as("the run did not advance on half its rows").isEmpty();
    }

    private static TextProjection.Projection zeroProjection(Tensor e, Tensor t, Tensor h) {
        int rows = e.batch();
        int tokens = (int) h.dim(1);
        return new TextProjection.Projection(Tensor.zeros(rows, tokens + 4, 8), Tensor.zeros(rows, 8));
    }
}
