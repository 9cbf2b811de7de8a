package org.unclip.core.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.image.Png;
import org.unclip.core.pipeline.DecoderPipeline;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.core.pipeline.StepProgress;
import org.unclip.core.pipeline.TextConditioning;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * Runs the real graphs of {@code models/shapes-untrained} (random weights) through both pipelines
 * with two steps per stage. The repository root comes from the {@code unclip.root} system property
 * (set by surefire), falling back to the parent of the working directory.
 */
class UntrainedFamilyTest {

    private static ModelFamily family;
    private static OnnxModel textEncoder;
    private static OnnxPriorStage prior;
    private static OnnxDecoderStages decoder;
    private static TextConditioning prompt;
    private static TextConditioning empty;

    static Path familyDir() {
        String root = System.getProperty("unclip.root");
        Path base = root != null && !root.isBlank() ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
        return base.resolve("models").resolve("shapes-untrained");
    }

    @BeforeAll
    static void load() {
        Path dir = familyDir();
        assertThat(dir.resolve("family.json")).as("the untrained family must be exported").exists();
        family = ModelFamily.load(dir);
        textEncoder = OnnxModel.load(family.textEncoder().graph(), 1);
        prior = OnnxPriorStage.load(family, 1);
        decoder = OnnxDecoderStages.load(family, 1);
        int l = family.contextLength();
        // token ids need not be real words for random weights; the largest id marks the end of text
        prompt = encode(new long[] {3, 7, 9, 11, 12}, l);
        empty = encode(new long[] {3, 12}, l);
    }

    private static TextConditioning encode(long[] tokens, int l) {
        long[] ids = new long[l];
        boolean[] mask = new boolean[l];
        System.arraycopy(tokens, 0, ids, 0, tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            mask[i] = true;
        }
        Map<String, Tensor> out = textEncoder.run(Map.of("input_ids", LongTensor.of(ids, 1, l)));
        return new TextConditioning(out.get("text_embeds"), out.get("last_hidden_state"), BoolTensor.of(mask, 1, l));
    }

    @AfterAll
    static void close() {
        if (decoder != null) {
            decoder.close();
        }
        if (prior != null) {
            prior.close();
        }
        if (textEncoder != null) {
            textEncoder.close();
        }
    }

    private static Tensor runPrior(List<Long> seeds) {
        return prior.pipeline().generate(new PriorPipeline.Request(prompt, empty, seeds, 2, 4.0),
                p -> {}, () -> false);
    }

    @Test
    void priorMakesOneFiniteEmbeddingPerSeedIndependentOfTheBatch() {
        Tensor batch = runPrior(List.of(101L, 102L, 103L));
        assertThat(batch.shape()).containsExactly(3, family.embeddingDim());
        assertThat(batch.isFinite()).isTrue();
        assertThat(runPrior(List.of(101L, 102L, 103L))).isEqualTo(batch);
        assertThat(runPrior(List.of(101L))).isEqualTo(batch.row(0));
        assertThat(batch.row(1)).isNotEqualTo(batch.row(0));
    }

    @Test
    void decoderAndUpsamplersMakeFiniteImagesIndependentOfTheBatch() {
        int size = family.largestOutputSize();
        Tensor embeds = runPrior(List.of(7L, 8L, 9L));
        List<String> stages = new ArrayList<>();
        DecoderPipeline.Request request = new DecoderPipeline.Request(embeds, prompt, empty, List.of(7L, 8L, 9L), 2,
                3.0, List.of(2, 2), size);
        Tensor images = decoder.pipeline().generate(request, p -> stages.add(p.stage() + ":" + p.step()), () -> false);
        assertThat(images.shape()).containsExactly(3, 3, size, size);
        assertThat(images.isFinite()).isTrue();
        for (int i = 0; i < images.size(); i++) {
            assertThat(images.get(i)).isBetween(-1f, 1f);
        }
        assertThat(stages).containsExactly(StepProgress.DECODER + ":1", "decoder:2", "upsampler-1:1",
                "upsampler-1:2", "upsampler-2:1", "upsampler-2:2");

        Tensor alone = decoder.pipeline().generate(new DecoderPipeline.Request(embeds.row(0), prompt, empty,
                List.of(7L), 2, 3.0, List.of(2, 2), size), p -> {}, () -> false);
        assertThat(alone).isEqualTo(images.row(0));
        assertThat(images.row(1)).isNotEqualTo(images.row(0));

        byte[] png = Png.encode(images.row(0));
        assertThat(Png.decode(png).shape()).containsExactly(3, size, size);
    }

    @Test
    void smallestOutputSizeStopsEarly() {
        int size = family.outputSizes().get(0);
        int upsamplers = family.upsamplersFor(size);
        Tensor embeds = runPrior(List.of(5L));
        List<Integer> steps = new ArrayList<>();
        for (int i = 0; i < upsamplers; i++) {
            steps.add(2);
        }
        Tensor images = decoder.pipeline().generate(new DecoderPipeline.Request(embeds, prompt, empty, List.of(5L),
                2, 1.0, steps, size), p -> {}, () -> false);
        assertThat(images.shape()).containsExactly(1, 3, size, size);
        assertThat(images.isFinite()).isTrue();
        assertThat(Files.exists(family.decoder().graph())).isTrue();
    }
}
