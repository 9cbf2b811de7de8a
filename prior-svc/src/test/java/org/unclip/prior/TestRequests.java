package org.unclip.prior;

import java.nio.file.Path;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.TextEncoding;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.noise.SeededNoise;
import org.unclip.core.tensor.Tensor;
import org.unclip.stage.ProtoTensors;

/** The family the tests run against and well-formed requests for it. */
final class TestRequests {

    private TestRequests() {}

    static Path familyDir() {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        return root.resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
    }

    static ModelFamily family() {
        return ModelFamily.load(familyDir());
    }

    /** A plausible text encoding: seeded values, the first {@code tokens} tokens real. */
    static TextEncoding encoding(ModelFamily f, int batch, int tokens, long seed) {
        int d = f.embeddingDim();
        int l = f.contextLength();
        long[] seeds = new long[batch];
        for (int i = 0; i < batch; i++) {
            seeds[i] = seed + i;
        }
        float[] mask = new float[batch * l];
        for (int i = 0; i < batch; i++) {
            for (int j = 0; j < tokens; j++) {
                mask[i * l + j] = 1f;
            }
        }
        return TextEncoding.newBuilder()
                .setTextEmbeds(ProtoTensors.toProto(SeededNoise.batch(seeds, 90, 0, d), org.unclip.api.v1.Tensor.newBuilder()).build())
                .setLastHiddenState(ProtoTensors.toProto(SeededNoise.batch(seeds, 91, 0, l, f.textWidth()), org.unclip.api.v1.Tensor.newBuilder()).build())
                .setAttentionMask(ProtoTensors.toProto(Tensor.of(mask, batch, l), org.unclip.api.v1.Tensor.newBuilder()).build())
                .build();
    }

    static PriorRequest.Builder valid(ModelFamily f, long... seeds) {
        PriorRequest.Builder b = PriorRequest.newBuilder()
                .setText(encoding(f, 1, 7, 1000))
                .setUnconditional(encoding(f, 1, 2, 2000))
                .setSteps(2)
                .setGuidanceScale(4f)
                .setRequestId("test");
        for (long s : seeds) {
            b.addSeeds(s);
        }
        return b;
    }
}
