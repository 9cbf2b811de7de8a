package org.unclip.prior;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.Tensor;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.stage.InvalidRequestException;
import org.unclip.stage.ProtoTensors;

class PriorRequestsTest {

    private static final ModelFamily FAMILY = TestRequests.family();

    private static String rejection(PriorRequest.Builder request) {
        try {
            PriorRequests.toPipeline(request.build(), FAMILY);
        } catch (InvalidRequestException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted " + request);
    }

    @Test
    void zeroMeansTheFamilyDefaults() {
        PriorPipeline.Request r = PriorRequests.toPipeline(
                TestRequests.valid(FAMILY, 1, 2).setSteps(0).setGuidanceScale(0f).build(), FAMILY);
        assertThat(r.steps()).isEqualTo(FAMILY.prior().steps().forPreset(FAMILY.defaultPreset()));
        assertThat(r.guidanceScale()).isEqualTo(FAMILY.prior().guidance().defaultScale());
        assertThat(r.seeds()).containsExactly(1L, 2L);
        assertThat(r.text().batch()).isEqualTo(1);
        assertThat(r.text().mask().data()).startsWith(true, true, true, true, true, true, true, false);
    }

    @Test
    void aNamedPresetPicksItsStepCount() {
        PriorPipeline.Request quality = PriorRequests.toPipeline(
                TestRequests.valid(FAMILY, 1).setSteps(0).setPreset("quality").build(), FAMILY);
        PriorPipeline.Request fast = PriorRequests.toPipeline(
                TestRequests.valid(FAMILY, 1).setSteps(0).setPreset("fast").build(), FAMILY);
        PriorPipeline.Request explicit = PriorRequests.toPipeline(
                TestRequests.valid(FAMILY, 1).setPreset("quality").setSteps(7).build(), FAMILY);

        assertThat(quality.steps()).isEqualTo(FAMILY.prior().steps().quality());
        assertThat(fast.steps()).isEqualTo(FAMILY.prior().steps().fast());
        assertThat(explicit.steps()).isEqualTo(7);
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setPreset("turbo")))
                .contains("preset").contains("turbo").contains("[fast, quality]");
    }

    @Test
    void acceptsOneTextPerSeed() {
        PriorPipeline.Request r = PriorRequests.toPipeline(TestRequests.valid(FAMILY, 1, 2, 3)
                .setText(TestRequests.encoding(FAMILY, 3, 4, 7)).build(), FAMILY);
        assertThat(r.text().batch()).isEqualTo(3);
    }

    @Test
    void rejectsBadSeeds() {
        assertThat(rejection(TestRequests.valid(FAMILY))).contains("seeds must hold 1 to 16 seeds, got 0");
        long[] many = new long[17];
        assertThat(rejection(TestRequests.valid(FAMILY, many))).contains("got 17");
    }

    @Test
    void rejectsStepsAndGuidanceOutsideTheFamilyRanges() {
        int max = FAMILY.prior().steps().max();
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setSteps(max + 1)))
                .contains("steps must be 0").contains("[" + FAMILY.prior().steps().min() + ", " + max + "]");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setSteps(-3))).contains("got -3");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setGuidanceScale(0.5f))).contains("guidance_scale");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setGuidanceScale(1000f))).contains("guidance_scale");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setGuidanceScale(Float.NaN))).contains("guidance_scale");
    }

    @Test
    void rejectsMissingAndIllShapedTensors() {
        int d = FAMILY.embeddingDim();
        assertThat(rejection(TestRequests.valid(FAMILY, 1).clearText())).contains("text is missing");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).clearUnconditional())).contains("unconditional is missing");
        assertThat(rejection(TestRequests.valid(FAMILY, 1, 2).setText(TestRequests.encoding(FAMILY, 3, 4, 7))))
                .contains("text has batch 3; expected 1 or the number of seeds (2)");
        assertThat(rejection(TestRequests.valid(FAMILY, 1).setUnconditional(TestRequests.encoding(FAMILY, 2, 2, 7))))
                .contains("unconditional.text_embeds has shape [2, " + d + "]; expected [1, " + d + "]");

        Tensor wrongD = ProtoTensors.toProto(org.unclip.core.tensor.Tensor.zeros(1, d + 1), org.unclip.api.v1.Tensor.newBuilder()).build();
        PriorRequest.Builder b = TestRequests.valid(FAMILY, 1);
        b.getTextBuilder().setTextEmbeds(wrongD);
        assertThat(rejection(b)).contains("text.text_embeds has shape [1, " + (d + 1) + "]; expected [B, " + d + "]");

        PriorRequest.Builder shortData = TestRequests.valid(FAMILY, 1);
        shortData.getTextBuilder().getLastHiddenStateBuilder().setData(ByteString.copyFrom(new byte[12]));
        assertThat(rejection(shortData)).contains("text.last_hidden_state").contains("12 bytes");

        PriorRequest.Builder noMask = TestRequests.valid(FAMILY, 1);
        noMask.getTextBuilder().clearAttentionMask();
        assertThat(rejection(noMask)).contains("text.attention_mask is missing");

        PriorRequest.Builder nan = TestRequests.valid(FAMILY, 1);
        nan.getTextBuilder().setTextEmbeds(ProtoTensors.toProto(
                org.unclip.core.tensor.Tensor.filled(Float.NaN, 1, d), org.unclip.api.v1.Tensor.newBuilder()).build());
        assertThat(rejection(nan)).contains("text.text_embeds contains a non-finite value");

        PriorRequest.Builder badMask = TestRequests.valid(FAMILY, 1);
        badMask.getTextBuilder().setAttentionMask(ProtoTensors.toProto(
                org.unclip.core.tensor.Tensor.filled(0.5f, 1, FAMILY.contextLength()), org.unclip.api.v1.Tensor.newBuilder()).build());
        assertThat(rejection(badMask)).contains("only 0 and 1");
    }
}
