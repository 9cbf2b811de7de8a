package org.unclip.core.family;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.unclip.core.sampler.PredictionType;
import org.unclip.core.sampler.SamplerKind;
import org.unclip.core.sampler.VarianceType;
import org.unclip.core.schedule.BetaSchedule;

/**
 * A model family folder ({@code models/<family>/}) as described by its {@code family.json}: names,
 * dimensions, graphs (resolved against the folder), schedules, step and guidance defaults, output
 * sizes. Load with {@link #load(Path)}. The contract (every key, every graph's inputs and outputs, the
 * sampling rules) is models/CONTRACT.md.
 *
 * @param dir the family folder (absolute)
 * @param tokenizer the tokenizer.json file
 * @param contextLength token sequence length L
 * @param embeddingDim CLIP embedding dimension D
 * @param textWidth width W of the text encoder's hidden states
 * @param imageEncoder the CLIP image encoder; empty for a text-only family (no image inputs)
 * @param upsamplers the upsampler cascade, in order
 * @param outputSizes the image sides a request may ask for, ascending
 */
public record ModelFamily(
        Path dir,
        String name,
        String description,
        boolean trained,
        Path tokenizer,
        int contextLength,
        int embeddingDim,
        int textWidth,
        Optional<ImageEncoderSpec> imageEncoder,
        TextEncoderSpec textEncoder,
        PriorSpec prior,
        DecoderSpec decoder,
        List<UpsamplerSpec> upsamplers,
        List<Integer> outputSizes,
        Preset defaultPreset) {

    public static final String FILE_NAME = "family.json";

    public ModelFamily {
        upsamplers = List.copyOf(upsamplers);
        outputSizes = List.copyOf(outputSizes);
    }

    /**
     * Reads {@code dir/family.json}.
     *
     * @throws ModelFamilyException naming the file and the missing or bad key
     */
    public static ModelFamily load(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path file = abs.resolve(FILE_NAME);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelFamilyException("no " + FILE_NAME + " in model family folder " + abs);
        } catch (IOException e) {
            throw new ModelFamilyException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(abs, text);
        } catch (ModelFamilyException | IllegalArgumentException e) {
            throw new ModelFamilyException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses family.json text; graph paths are resolved against {@code dir}. */
    static ModelFamily parse(Path dir, String json) {
        return parse(dir, json, key -> {});
    }

    /**
     * Parses family.json text, telling {@code keysRead} the path of every key it looks up (the
     * contract test checks each is documented in models/CONTRACT.md).
     */
    static ModelFamily parse(Path dir, String json, Consumer<String> keysRead) {
        JsonObject root = JsonObject.root(JsonReader.parse(json), keysRead);
        int d = root.positive("embedding_dim");

        Optional<ImageEncoderSpec> imageEncoder = Optional.empty();
        if (root.has("image_encoder")) {
            JsonObject ie = root.object("image_encoder");
            imageEncoder = Optional.of(new ImageEncoderSpec(dir.resolve(ie.string("graph")),
                    ie.positive("image_size"), ie.floats("mean"), ie.floats("std")));
        }

        TextEncoderSpec textEncoder = new TextEncoderSpec(dir.resolve(root.object("text_encoder").string("graph")));

        JsonObject p = root.object("prior");
        float[] clipMean = dimensioned(p, "clip_mean", d);
        float[] clipStd = dimensioned(p, "clip_std", d);
        PriorSpec prior = new PriorSpec(dir.resolve(p.string("graph")), clipMean, clipStd, sampling(p), steps(p),
                guidance(p));

        JsonObject dec = root.object("decoder");
        DecoderSpec decoder = new DecoderSpec(dir.resolve(dec.string("text_proj_graph")),
                dir.resolve(dec.string("graph")), dec.positive("resolution"),
                dimensioned(dec, "cfg_image_embedding", d), sampling(dec), steps(dec), guidance(dec));

        List<UpsamplerSpec> upsamplers = new ArrayList<>();
        int previous = decoder.resolution();
        for (JsonObject u : root.objects("upsamplers")) {
            Optional<Path> last = u.optString("graph_last").map(dir::resolve);
            UpsamplerSpec spec = new UpsamplerSpec(u.string("name"), dir.resolve(u.string("graph")), last,
                    u.positive("input_resolution"), u.positive("output_resolution"), sampling(u), steps(u));
            if (spec.inputResolution() != previous) {
                throw u.invalid("input_resolution", "is " + spec.inputResolution()
                        + " but the stage before it produces " + previous);
            }
            previous = spec.outputResolution();
            upsamplers.add(spec);
        }

        List<Integer> producible = new ArrayList<>();
        producible.add(decoder.resolution());
        upsamplers.forEach(u -> producible.add(u.outputResolution()));
        List<Integer> outputSizes = new ArrayList<>();
        for (int s : root.integers("output_sizes")) {
            if (!producible.contains(s)) {
                throw root.invalid("output_sizes", "contains " + s + ", which no stage produces (stages produce "
                        + producible + ")");
            }
            if (!outputSizes.isEmpty() && s <= outputSizes.get(outputSizes.size() - 1)) {
                throw root.invalid("output_sizes", "must be strictly ascending");
            }
            outputSizes.add(s);
        }
        if (outputSizes.isEmpty()) {
            throw root.invalid("output_sizes", "must not be empty");
        }

        return new ModelFamily(dir, root.string("name"), root.string("description"), root.bool("trained"),
                dir.resolve(root.string("tokenizer")), root.positive("context_length"), d,
                root.positive("text_width"), imageEncoder, textEncoder, prior, decoder, upsamplers, outputSizes,
                parseEnum(root, "default_preset", Preset::fromConfig));
    }

    private static float[] dimensioned(JsonObject o, String key, int d) {
        float[] v = o.floats(key);
        if (v.length != d) {
            throw o.invalid(key, "has " + v.length + " values, expected embedding_dim = " + d);
        }
        return v;
    }

    private static SamplingSpec sampling(JsonObject stage) {
        JsonObject s = stage.object("schedule");
        return new SamplingSpec(
                parseEnum(s, "beta_schedule", BetaSchedule::fromConfig),
                s.positive("num_train_timesteps"),
                s.optNumber("beta_start", SamplingSpec.DEFAULT_BETA_START),
                s.optNumber("beta_end", SamplingSpec.DEFAULT_BETA_END),
                parseEnum(stage, "prediction_type", PredictionType::fromConfig),
                parseEnum(stage, "variance_type", VarianceType::fromConfig),
                stage.number("clip_sample_range"),
                stage.has("sampler") ? parseEnum(stage, "sampler", SamplerKind::fromConfig) : SamplerKind.DDPM,
                stage.optNumber("eta", 0.0),
                presetSamplers(stage));
    }

    /** {@code "samplers": {"<preset>": "<sampler>", ...}}, optional. */
    private static Map<Preset, SamplerKind> presetSamplers(JsonObject stage) {
        Map<Preset, SamplerKind> out = new EnumMap<>(Preset.class);
        if (!stage.has("samplers")) {
            return out;
        }
        JsonObject samplers = stage.object("samplers");
        for (String key : samplers.keys()) {
            Preset preset;
            try {
                preset = Preset.fromConfig(key);
            } catch (IllegalArgumentException e) {
                throw stage.invalid("samplers", "names " + e.getMessage());
            }
            out.put(preset, parseEnum(samplers, key, SamplerKind::fromConfig));
        }
        return out;
    }

    private static StepRange steps(JsonObject stage) {
        JsonObject s = stage.object("steps");
        try {
            return new StepRange(s.positive("fast"), s.positive("quality"), s.positive("min"), s.positive("max"));
        } catch (IllegalArgumentException e) {
            throw stage.invalid("steps", "is inconsistent: " + e.getMessage());
        }
    }

    private static GuidanceRange guidance(JsonObject stage) {
        JsonObject g = stage.object("guidance");
        try {
            return new GuidanceRange(g.number("default"), g.number("min"), g.number("max"));
        } catch (IllegalArgumentException e) {
            throw stage.invalid("guidance", "is inconsistent: " + e.getMessage());
        }
    }

    private static <E> E parseEnum(JsonObject o, String key, Function<String, E> parser) {
        String v = o.string(key);
        try {
            return parser.apply(v);
        } catch (IllegalArgumentException e) {
            throw o.invalid(key, "is invalid: " + e.getMessage());
        }
    }

    /**
     * Every file the family is made of, in a fixed order: {@code family.json}, the tokenizer, then
     * each graph it names (text encoder, image encoder, prior, text_proj, decoder, the upsamplers
     * and their {@code graph_last} variants), each followed by its external data file where it has
     * one. A file named twice is listed once.
     */
    public List<Path> files() {
        List<Path> graphs = new ArrayList<>();
        graphs.add(textEncoder.graph());
        imageEncoder.ifPresent(e -> graphs.add(e.graph()));
        graphs.add(prior.graph());
        graphs.add(decoder.textProjGraph());
        graphs.add(decoder.graph());
        for (UpsamplerSpec u : upsamplers) {
            graphs.add(u.graph());
            u.graphLast().ifPresent(graphs::add);
        }
        java.util.LinkedHashSet<Path> files = new java.util.LinkedHashSet<>();
        files.add(dir.resolve(FILE_NAME));
        files.add(tokenizer);
        for (Path graph : graphs) {
            files.add(graph);
            // its external data (<graph>.onnx.data, models/CONTRACT.md) follows it
            Path data = graph.resolveSibling(graph.getFileName() + ".data");
            if (Files.isRegularFile(data)) {
                files.add(data);
            }
        }
        return List.copyOf(files);
    }

    /** The largest output size. */
    public int largestOutputSize() {
        return outputSizes.get(outputSizes.size() - 1);
    }

    /**
     * How many upsamplers run to produce {@code size}² images: 0 when the decoder already produces
     * it.
     *
     * @throws IllegalArgumentException when {@code size} is not one of {@link #outputSizes()}
     */
    public int upsamplersFor(int size) {
        if (!outputSizes.contains(size)) {
            throw new IllegalArgumentException("size " + size + " is not offered; expected one of " + outputSizes);
        }
        if (size == decoder.resolution()) {
            return 0;
        }
        for (int i = 0; i < upsamplers.size(); i++) {
            if (upsamplers.get(i).outputResolution() == size) {
                return i + 1;
            }
        }
        throw new IllegalStateException("no stage produces " + size);
    }
}
