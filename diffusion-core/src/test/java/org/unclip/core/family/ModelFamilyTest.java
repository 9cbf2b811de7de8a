package org.unclip.core.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.unclip.core.sampler.DdimSampler;
import org.unclip.core.sampler.DdpmSampler;
import org.unclip.core.sampler.DpmSolverPlusPlusSampler;
import org.unclip.core.sampler.PredictionType;
import org.unclip.core.sampler.SamplerKind;
import org.unclip.core.sampler.VarianceType;
import org.unclip.core.schedule.BetaSchedule;

class ModelFamilyTest {

    private static Path tinyDir() throws URISyntaxException {
        return Path.of(ModelFamilyTest.class.getResource("/family/tiny/family.json").toURI()).getParent();
    }

    private static String tinyJson() throws Exception {
        return Files.readString(tinyDir().resolve("family.json"));
    }

    @Test
    void loadsEveryField() throws Exception {
        Path dir = tinyDir();
        ModelFamily f = ModelFamily.load(dir);
        assertThat(f.name()).isEqualTo("tiny-test");
        assertThat(f.trained()).isFalse();
        assertThat(f.dir()).isEqualTo(dir.toAbsolutePath().normalize());
        assertThat(f.tokenizer()).isEqualTo(f.dir().resolve("tokenizer.json"));
        assertThat(f.contextLength()).isEqualTo(6);
        assertThat(f.embeddingDim()).isEqualTo(4);
        assertThat(f.textWidth()).isEqualTo(8);
        assertThat(f.imageEncoder()).hasValueSatisfying(ie -> {
            assertThat(ie.imageSize()).isEqualTo(32);
            assertThat(ie.std()).containsExactly(0.5f, 0.5f, 0.5f);
        });
        assertThat(f.textEncoder().graph()).isEqualTo(f.dir().resolve("text_encoder.onnx"));

        PriorSpec p = f.prior();
        assertThat(p.graph()).isEqualTo(f.dir().resolve("prior.onnx"));
        assertThat(p.clipStd()).containsExactly(1.0f, 2.0f, 0.5f, 0.1f);
        assertThat(p.sampling().predictionType()).isEqualTo(PredictionType.SAMPLE);
        assertThat(p.sampling().clipSampleRange()).isEqualTo(10.0);
        assertThat(p.steps()).isEqualTo(new StepRange(25, 50, 2, 200));
        assertThat(p.guidance()).isEqualTo(new GuidanceRange(4.0, 1.0, 20.0));
        assertThat(p.sampling().newSampler()).isInstanceOf(DdpmSampler.class);

        DecoderSpec d = f.decoder();
        assertThat(d.resolution()).isEqualTo(8);
        assertThat(d.cfgImageEmbedding()).containsExactly(0.5f, 0.25f, -0.5f, 1f);
        assertThat(d.sampling().varianceType()).isEqualTo(VarianceType.LEARNED_RANGE);
        assertThat(d.sampling().sampler()).isEqualTo(SamplerKind.DDPM);
        assertThat(d.sampling().samplerFor(Preset.FAST)).isEqualTo(SamplerKind.DPMPP_2M);
        assertThat(d.sampling().samplerFor(Preset.QUALITY)).isEqualTo(SamplerKind.DDPM);
        assertThat(d.sampling().newPresetSamplers().get(Preset.FAST)).isInstanceOf(DpmSolverPlusPlusSampler.class);
        assertThat(p.sampling().samplerFor(Preset.FAST)).isEqualTo(SamplerKind.DDPM);

        assertThat(f.upsamplers()).hasSize(2);
        UpsamplerSpec u0 = f.upsamplers().get(0);
        assertThat(u0.graphLast()).isEmpty();
        assertThat(u0.sampling().sampler()).isEqualTo(SamplerKind.DDPM);
        UpsamplerSpec u1 = f.upsamplers().get(1);
        assertThat(u1.graphLast()).contains(f.dir().resolve("sr_32_last.onnx"));
        assertThat(u1.sampling().betaSchedule()).isEqualTo(BetaSchedule.LINEAR);
        assertThat(u1.sampling().numTrainTimesteps()).isEqualTo(500);
        assertThat(u1.sampling().noiseSchedule().beta(0)).isEqualTo(0.001f);
        DdimSampler ddim = (DdimSampler) u1.sampling().newSampler();
        assertThat(ddim.eta()).isEqualTo(0.5);
        assertThat(ddim.predictionType()).isEqualTo(PredictionType.V_PREDICTION);

        assertThat(f.outputSizes()).containsExactly(16, 32);
        assertThat(f.largestOutputSize()).isEqualTo(32);
        assertThat(f.upsamplersFor(16)).isEqualTo(1);
        assertThat(f.upsamplersFor(32)).isEqualTo(2);
        assertThatThrownBy(() -> f.upsamplersFor(8)).hasMessageContaining("[16, 32]");
        assertThat(f.defaultPreset()).isEqualTo(Preset.FAST);
        assertThat(p.steps().forPreset(Preset.QUALITY)).isEqualTo(50);
    }

    private static ModelFamilyException brokenBy(String from, String to) throws Exception {
        String json = tinyJson();
        assertThat(json).contains(from);
        try {
            ModelFamily.parse(Path.of("/x"), json.replace(from, to));
        } catch (ModelFamilyException e) {
            return e;
        }
        throw new AssertionError("accepted a family.json with " + to);
    }

    @Test
    void namesTheMissingKey() throws Exception {
        assertThat(brokenBy("\"beta_schedule\": \"squaredcos_cap_v2\", \"num_train_timesteps\": 1000},\n    \"prediction_type\": \"sample\"",
                "\"num_train_timesteps\": 1000},\n    \"prediction_type\": \"sample\""))
                .hasMessage("missing key 'prior.schedule.beta_schedule'");
        assertThat(brokenBy("\"context_length\": 6,", "")).hasMessage("missing key 'context_length'");
        assertThat(brokenBy("\"graph\": \"sr_16.onnx\", ", "")).hasMessage("missing key 'upsamplers[0].graph'");
    }

    @Test
    void rejectsInconsistentValues() throws Exception {
        assertThat(brokenBy("\"clip_mean\": [0.1, -0.2, 0.3, 0.0]", "\"clip_mean\": [0.1, -0.2, 0.3]"))
                .hasMessageContaining("prior.clip_mean").hasMessageContaining("embedding_dim = 4");
        assertThat(brokenBy("\"prediction_type\": \"sample\"", "\"prediction_type\": \"noise\""))
                .hasMessageContaining("prior.prediction_type").hasMessageContaining("epsilon");
        assertThat(brokenBy("\"output_sizes\": [16, 32]", "\"output_sizes\": [16, 64]"))
                .hasMessageContaining("output_sizes").hasMessageContaining("64");
        assertThat(brokenBy("\"input_resolution\": 16", "\"input_resolution\": 12"))
                .hasMessageContaining("upsamplers[1].input_resolution");
        assertThat(brokenBy("\"fast\": 25", "\"fast\": 500")).hasMessageContaining("prior.steps");
        assertThat(brokenBy("\"context_length\": 6", "\"context_length\": 6.5"))
                .hasMessageContaining("'context_length' must be an integer");
        assertThat(brokenBy("\"trained\": false", "\"trained\": \"no\"")).hasMessageContaining("true or false");
        assertThat(brokenBy("\"default_preset\": \"fast\"", "\"default_preset\": \"best\""))
                .hasMessageContaining("default_preset");
        assertThat(brokenBy("\"samplers\": {\"fast\"", "\"samplers\": {\"best\""))
                .hasMessageContaining("decoder.samplers").hasMessageContaining("best");
        assertThat(brokenBy("\"samplers\": {\"fast\": \"dpmpp_2m\"", "\"samplers\": {\"fast\": \"euler\""))
                .hasMessageContaining("decoder.samplers.fast").hasMessageContaining("dpmpp_2m");
    }

    @Test
    void aFamilyWithoutImageEncoderIsTextOnly() throws Exception {
        String json = tinyJson();
        String imageEncoder = "\"image_encoder\": {\"graph\": \"image_encoder.onnx\", \"image_size\": 32,\n"
                + "                    \"mean\": [0.5, 0.5, 0.5], \"std\": [0.5, 0.5, 0.5]},\n";
        assertThat(json).contains(imageEncoder);
        ModelFamily absent = ModelFamily.parse(Path.of("/x"), json.replace(imageEncoder, ""));
        assertThat(absent.imageEncoder()).isEmpty();
        assertThat(absent.prior().graph()).isEqualTo(Path.of("/x/prior.onnx"));
        ModelFamily nulled = ModelFamily.parse(Path.of("/x"), json.replace(imageEncoder, "\"image_encoder\": null,\n"));
        assertThat(nulled.imageEncoder()).isEmpty();
        assertThat(brokenBy("\"image_size\": 32,", "")).hasMessage("missing key 'image_encoder.image_size'");
    }

    @Test
    void namesTheFolderWhenFamilyJsonIsMissing(@TempDir Path empty) throws IOException {
        assertThatThrownBy(() -> ModelFamily.load(empty)).isInstanceOf(ModelFamilyException.class)
                .hasMessageContaining("no family.json").hasMessageContaining(empty.toString());
        Files.writeString(empty.resolve("family.json"), "{\"name\": ");
        assertThatThrownBy(() -> ModelFamily.load(empty)).isInstanceOf(ModelFamilyException.class)
                .hasMessageContaining("family.json").hasMessageContaining("invalid JSON");
    }
}
