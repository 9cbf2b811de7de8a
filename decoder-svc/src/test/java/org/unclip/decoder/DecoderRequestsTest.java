package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.family.UpsamplerSpec;
import org.unclip.core.tensor.Tensor;
import org.unclip.stage.InvalidRequestException;
import org.unclip.stage.ProtoTensors;

class DecoderRequestsTest {

    private static final ModelFamily FAMILY = TestRequests.family();

    private static String rejection(DecoderRequest.Builder request) {
        try {
            DecoderRequests.toJob(request.build(), FAMILY);
        } catch (InvalidRequestException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted " + request);
    }

    @Test
    void zeroMeansTheFamilyDefaults() {
        DecoderJob job = DecoderRequests.toJob(TestRequests.valid(FAMILY, 1, 2).setDecoderSteps(0)
                .setUpsamplerSteps(0).setGuidanceScale(0f).setSize(0).build(), FAMILY);
        assertThat(job.size()).isEqualTo(FAMILY.largestOutputSize());
        assertThat(job.request().outputSize()).isEqualTo(FAMILY.largestOutputSize());
        assertThat(job.request().decoderSteps()).isEqualTo(FAMILY.decoder().steps().forPreset(FAMILY.defaultPreset()));
        assertThat(job.request().guidanceScale()).isEqualTo(FAMILY.decoder().guidance().defaultScale());
        assertThat(job.request().upsamplerSteps()).containsExactlyElementsOf(FAMILY.upsamplers().stream()
                .map(UpsamplerSpec::steps).map(s -> s.forPreset(FAMILY.defaultPreset())).toList());
        assertThat(job.previews()).isFalse();
    }

    @Test
    void aNamedPresetPicksTheStepCountsOfEveryStage() {
        DecoderJob quality = DecoderRequests.toJob(TestRequests.valid(FAMILY, 1)
                .setDecoderSteps(0).setUpsamplerSteps(0).setPreset("quality").build(), FAMILY);

        assertThat(quality.request().decoderSteps()).isEqualTo(FAMILY.decoder().steps().quality());
        for (int i = 0; i < quality.request().upsamplerSteps().size(); i++) {
            assertThat(quality.request().upsamplerSteps().get(i))
                    .isEqualTo(FAMILY.upsamplers().get(i).steps().quality());
        }
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setPreset("best"))).contains("preset").contains("best");
    }

    @Test
    void smallerSizesRunFewerUpsamplers() {
        int smallest = FAMILY.outputSizes().get(0);
        DecoderJob job = DecoderRequests.toJob(TestRequests.valid(FAMILY, 1).setSize(smallest).build(), FAMILY);
        assertThat(job.request().upsamplerSteps()).hasSize(FAMILY.upsamplersFor(smallest));
    }

    @Test
    void variationsWithoutTextUseTheEmptyPrompt() {
        DecoderJob job = DecoderRequests.toJob(TestRequests.valid(FAMILY, 1, 2).clearText().build(), FAMILY);
        assertThat(job.request().text()).isEqualTo(job.request().unconditional());
    }

    @Test
    void rejectsBadSeedsSizesStepsAndGuidance() {
        assertThat(rejection(TestRequests.valid(FAMILY))).contains("seeds must hold 1 to 16 seeds, got 0");
        assertThat(rejection(TestRequests.valid(FAMILY, new long[17]))).contains("got 17");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setSize(100)))
                .contains("size must be 0 (the largest) or one of " + FAMILY.outputSizes());
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setDecoderSteps(1))).contains("decoder_steps");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setDecoderSteps(FAMILY.decoder().steps().max() + 1)))
                .contains("decoder_steps");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setUpsamplerSteps(10_000)))
                .contains("upsampler_steps (" + FAMILY.upsamplers().get(0).name() + ")");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setGuidanceScale(0.5f))).contains("guidance_scale");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setGuidanceScale(Float.POSITIVE_INFINITY)))
                .contains("guidance_scale");
    }

    @Test
    void rejectsMissingAndIllShapedTensors() {
        int d = FAMILY.embeddingDim();
        assertThat(rejection(TestRequests.valid(FAMILY, 1).clearImageEmbeds())).contains("image_embeds is missing");
        assertThat(rejection(TestRequests.valid(FAMILY, 1, 2)
                .setImageEmbeds(ProtoTensors.toProto(Tensor.zeros(3, d), org.unclip.api.v1.Tensor.newBuilder()).build())))
                .contains("image_embeds has shape [3, " + d + "]; expected [2, " + d + "]");
        assertThat(rejection(TestRequests.valid(FAMILY, 1)
                .setImageEmbeds(ProtoTensors.toProto(Tensor.zeros(1, d - 1), org.unclip.api.v1.Tensor.newBuilder()).build())))
                .contains("image_embeds has shape [1, " + (d - 1) + "]");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).clearUnconditional())).contains("unconditional is missing");
        assertThat(rejection(TestRequests.valid(FAMILY, 1, 2).setText(TestRequests.encoding(FAMILY, 3, 4, 7))))
                .contains("text has batch 3; expected 1 or the number of seeds (2)");
        DecoderRequest.Builder wrongLength = TestRequests.valid(FAMILY, 1);
        wrongLength.getTextBuilder().setAttentionMask(ProtoTensors.toProto(Tensor.zeros(1, FAMILY.contextLength() + 1), org.unclip.api.v1.Tensor.newBuilder()).build());
        assertThat(rejection(wrongLength)).contains("text.attention_mask has shape");
        assertThat(rejection(TestRequests.valid(FAMILY, 1)
                .setImageEmbeds(ProtoTensors.toProto(Tensor.filled(Float.NaN, 1, d), org.unclip.api.v1.Tensor.newBuilder()).build())))
                .contains("image_embeds contains a non-finite value");
    }
}
