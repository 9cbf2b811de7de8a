package org.unclip.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.core.family.ModelFamily;
import org.unclip.core.family.UpsamplerSpec;
import org.unclip.core.image.Png;
import org.unclip.core.onnx.OnnxDecoderStages;
import org.unclip.core.onnx.OnnxModel;
import org.unclip.core.onnx.OnnxPriorStage;
import org.unclip.core.onnx.OnnxUpsamplerDenoiser;
import org.unclip.core.sampler.DdpmSampler;
import org.unclip.core.sampler.PredictionType;
import org.unclip.core.sampler.VarianceType;
import org.unclip.core.tensor.BoolTensor;
import org.unclip.core.tensor.LongTensor;
import org.unclip.core.tensor.Tensor;

/**
 * The Java cascade against the PyTorch reference sampler on a real exported family.
 *
 * <p>{@code models/<family>/parity.json} is written by {@code training/unclip_training/parity.py}
 * (on every export, from the very weights exported) and records, for two prompts and two seeds: the
 * Python token ids, the torch text encodings, the prior's embeddings, the decoder's 32 px images, each
 * upsampler's images (the last one as a strided grid of floats plus 8-bit PNGs), and the settings
 * (steps, guidance, seeds, stage order). This test loads the family's ONNX graphs and
 *
 * <ol>
 *   <li>runs the text encoder on the recorded token ids;
 *   <li>runs each stage alone from the torch inputs: the prior from the torch text encodings, the
 *       decoder from the torch embeddings, each upsampler from the torch image of the stage before it
 *       (fed through the real {@link DecoderPipeline}, so the bicubic resize between stages is checked
 *       too; the stages before it replay the torch images exactly);
 *   <li>runs the whole cascade from the token ids with {@link OnnxPriorStage} and
 *       {@link OnnxDecoderStages}, checking every stage's output on the way and the final PNG pixels.
 * </ol>
 *
 * <p>Tolerances (max |Δ| over all values; pixels in [−1, 1]; measured differences are far smaller, see
 * training/README.md): text encoder {@value #TEXT_TOL}; prior embeddings {@value #PRIOR_TOL}; decoder
 * and upsampler images run alone {@value #IMAGE_TOL}; in the whole cascade, where differences carry
 * from stage to stage, embeddings {@value #CASCADE_PRIOR_TOL} and images {@value #CASCADE_IMAGE_TOL};
 * final 8-bit pixels at most {@value #MAX_LEVELS} level(s) apart, on at most {@value #MAX_LEVEL_FRACTION}
 * of the values. Measured: at most 1.3e-6 for text and embeddings, 2.1e-4 alone and 3e-4 in the
 * cascade for images. Deliberate bugs move values by 5e-3 (prior noise step off by one) to 2 (decoder
 * noise step off by one, guidance as c + s(u − c)).
 *
 * <p>The repository root comes from the {@code unclip.root} system property (set by surefire); the
 * family from {@code unclip.test.family} (default {@code models/shapes-tiny}, relative to the root).
 * A family folder without parity.json, or whose parity.json
 * was computed for other graphs, fails.
 */
class FamilyParityTest {

    static final double TEXT_TOL = 2e-5;
    static final double PRIOR_TOL = 1e-4;
    static final double IMAGE_TOL = 2e-3;
    static final double CASCADE_PRIOR_TOL = 2e-4;
    static final double CASCADE_IMAGE_TOL = 4e-3;
    static final int MAX_LEVELS = 1;
    static final double MAX_LEVEL_FRACTION = 0.02;

    private static final String DEFAULT_FAMILY = "models/shapes-tiny";

    private static Path dir;
    private static Map<String, Object> parity;
    private static ModelFamily family;
    private static OnnxModel textEncoder;
    private static OnnxPriorStage prior;
    private static OnnxDecoderStages decoder;
    private static final List<OnnxModel> upsamplerModels = new ArrayList<>();
    private static final Map<String, Double> measured = new LinkedHashMap<>();

    private static List<Long> seeds;
    private static Map<String, Object> settings;

    static Path root() {
        String root = System.getProperty("unclip.root");
        return root != null && !root.isBlank() ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    }

    /** A family folder as the Python commands (run from the root) take it. */
    private static Path shown(Path familyDir) {
        Path root = root().toAbsolutePath().normalize();
        return familyDir.startsWith(root) ? root.relativize(familyDir) : familyDir;
    }

    @BeforeAll
    static void load() throws IOException {
        String name = System.getProperty("unclip.test.family", DEFAULT_FAMILY);
        dir = root().resolve(name).toAbsolutePath().normalize();
        assertThat(dir.resolve("family.json")).as("family folder %s", dir).exists();
        Path file = dir.resolve("parity.json");
        if (!Files.exists(file)) {
            fail(dir + " has no parity.json: write it with `/usr/bin/python3 training/parity.py --family-dir "
                    + shown(dir) + "` (training/export.py writes it on every export)");
        }
        parity = Json.object(Json.parse(Files.readString(file)));
        Map<String, Object> hashed = Json.object(parity.get("graphs"));
        for (String data : externalDataFiles(dir)) {
            if (!hashed.containsKey(data)) {
                fail(file + " hashes no " + data + " (external data of a graph): regenerate it with "
                        + "`/usr/bin/python3 training/parity.py --family-dir " + shown(dir) + "`");
            }
        }
        for (Map.Entry<String, Object> g : hashed.entrySet()) {
            String actual = sha256(dir.resolve(g.getKey()));
            if (!actual.equals(g.getValue())) {
                fail(file + " was computed for another " + g.getKey() + " (sha256 " + g.getValue() + ", the file has "
                        + actual + "): regenerate it with `/usr/bin/python3 training/parity.py --family-dir "
                        + shown(dir) + "` or re-export the family");
            }
        }
        settings = Json.object(parity.get("settings"));
        seeds = new ArrayList<>();
        for (Object s : Json.list(settings.get("seeds"))) {
            seeds.add(Json.num(s).asLong());
        }

        family = ModelFamily.load(dir);
        textEncoder = OnnxModel.load(family.textEncoder().graph(), 1);
        prior = OnnxPriorStage.load(family, 1);
        decoder = OnnxDecoderStages.load(family, 1);
        List<String> order = new ArrayList<>();
        for (Object o : Json.list(settings.get("stage_order"))) {
            order.add((String) o);
        }
        List<String> expectedOrder = new ArrayList<>(List.of("text_encoder", "prior", "decoder"));
        family.upsamplers().forEach(u -> expectedOrder.add(u.name()));
        assertThat(order).as("stage order of parity.json vs family.json").isEqualTo(expectedOrder);
        for (UpsamplerSpec u : family.upsamplers()) {
            upsamplerModels.add(OnnxModel.load(u.graph(), 1));
            u.graphLast().ifPresent(p -> upsamplerModels.add(OnnxModel.load(p, 1)));
        }
    }

    @AfterAll
    static void close() {
        if (!measured.isEmpty()) {
            StringBuilder sb = new StringBuilder("parity of " + dir.getFileName() + " (max |java - torch|):");
            measured.forEach((k, v) -> sb.append(String.format("%n  %-34s %.3e", k, v)));
            System.out.println(sb);
        }
        upsamplerModels.forEach(OnnxModel::close);
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

    // ---- recorded values ---------------------------------------------------------------------

    private static Map<String, Object> section(String name) {
        return Json.object(parity.get(name));
    }

    private static Map<String, Object> stageSettings(String name) {
        return Json.object(settings.get(name));
    }

    private static Map<String, Object> upsamplerSettings(int index) {
        Map<String, Object> u = Json.object(Json.list(settings.get("upsamplers")).get(index));
        assertThat(u.get("name")).isEqualTo(family.upsamplers().get(index).name());
        return u;
    }

    private static TextConditioning torchText(Map<String, Object> text) {
        Tensor embeds = Json.tensor(text.get("text_embeds"));
        Tensor hidden = Json.tensor(text.get("last_hidden_state"));
        return new TextConditioning(embeds, hidden, mask(text));
    }

    private static LongTensor ids(Map<String, Object> text) {
        List<Object> rows = Json.list(text.get("input_ids"));
        int l = Json.list(rows.get(0)).size();
        long[] ids = new long[rows.size() * l];
        for (int i = 0; i < rows.size(); i++) {
            List<Object> row = Json.list(rows.get(i));
            for (int j = 0; j < l; j++) {
                ids[i * l + j] = Json.num(row.get(j)).asLong();
            }
        }
        return LongTensor.of(ids, rows.size(), l);
    }

    private static BoolTensor mask(Map<String, Object> text) {
        List<Object> rows = Json.list(text.get("attention_mask"));
        int l = Json.list(rows.get(0)).size();
        boolean[] mask = new boolean[rows.size() * l];
        for (int i = 0; i < rows.size(); i++) {
            List<Object> row = Json.list(rows.get(i));
            for (int j = 0; j < l; j++) {
                mask[i * l + j] = Json.num(row.get(j)).asLong() != 0;
            }
        }
        return BoolTensor.of(mask, rows.size(), l);
    }

    /** The text encoder graph on recorded token ids, with the recorded mask. */
    private static TextConditioning javaText(Map<String, Object> text) {
        Map<String, Tensor> out = textEncoder.run(Map.of("input_ids", ids(text)));
        return new TextConditioning(out.get("text_embeds"), out.get("last_hidden_state"), mask(text));
    }

    private static Tensor torchImage(String stage) {
        return Json.tensor(section(stage).get("image"));
    }

    private static int steps(Map<String, Object> stage) {
        return (int) Json.num(stage.get("steps")).asLong();
    }

    private static double guidance(Map<String, Object> stage) {
        return Json.num(stage.get("guidance")).asDouble();
    }

    // ---- comparison --------------------------------------------------------------------------

    private static double maxAbsDiff(Tensor actual, Tensor expected) {
        assertThat(actual.shape()).isEqualTo(expected.shape());
        float[] a = actual.data();
        float[] e = expected.data();
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - e[i]);
            if (!(d <= max)) {
                max = d; // NaN propagates
            }
        }
        return max;
    }

    private static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
        double d = maxAbsDiff(actual, expected);
        measured.put(what, d);
        assertThat(d).as("%s: max |java - torch| (tolerance %s)", what, tol).isLessThanOrEqualTo(tol);
    }

    /** {@code image[:, :, o::s, o::s]} as the reference stores it for the last stage. */
    private static Tensor grid(Tensor image) {
        int s = (int) Json.num(settings.get("grid_stride")).asLong();
        int o = (int) Json.num(settings.get("grid_offset")).asLong();
        int b = image.batch();
        int c = (int) image.dim(1);
        int h = (int) image.dim(2);
        int w = (int) image.dim(3);
        int gh = (h - o + s - 1) / s;
        int gw = (w - o + s - 1) / s;
        float[] src = image.data();
        float[] out = new float[b * c * gh * gw];
        int k = 0;
        for (int n = 0; n < b * c; n++) {
            for (int y = o; y < h; y += s) {
                for (int x = o; x < w; x += s) {
                    out[k++] = src[(n * h + y) * w + x];
                }
            }
        }
        return new Tensor(new long[] {b, c, gh, gw}, out);
    }

    /** Compares the last stage's images: the float grid, and every 8-bit pixel against the torch PNGs. */
    private static void assertFinalImages(String what, Tensor images, double gridTol) {
        String last = family.upsamplers().isEmpty() ? "decoder" : family.upsamplers().get(family.upsamplers().size() - 1).name();
        Map<String, Object> ref = section(last);
        assertClose(what + " grid", grid(images), Json.tensor(ref.get("grid")), gridTol);
        List<Object> pngs = Json.list(ref.get("png_base64"));
        assertThat(pngs).hasSize(images.batch());
        int maxLevels = 0;
        long off = 0;
        long total = 0;
        for (int n = 0; n < images.batch(); n++) {
            Tensor torch = Png.decode(Base64.getDecoder().decode((String) pngs.get(n)));
            float[] j = images.rowData(n);
            float[] t = torch.data();
            assertThat(t.length).isEqualTo(j.length);
            for (int i = 0; i < j.length; i++) {
                int d = Math.abs(Png.toByte(j[i]) - Png.toByte(t[i]));
                maxLevels = Math.max(maxLevels, d);
                off += d != 0 ? 1 : 0;
            }
            total += j.length;
        }
        double fraction = (double) off / total;
        measured.put(what + " png max levels", (double) maxLevels);
        measured.put(what + " png fraction off", fraction);
        assertThat(maxLevels).as("%s: max 8-bit difference", what).isLessThanOrEqualTo(MAX_LEVELS);
        assertThat(fraction).as("%s: fraction of 8-bit values that differ", what)
                .isLessThanOrEqualTo(MAX_LEVEL_FRACTION);
    }

    // ---- stages alone ------------------------------------------------------------------------

    @Test
    void textEncoderMatchesTorchOnTheRecordedTokenIds() {
        Map<String, Object> text = section("text");
        Map<String, Object> uncond = Json.object(text.get("unconditional"));
        for (Map<String, Object> t : List.of(text, uncond)) {
            String what = t == text ? "text encoder" : "text encoder (\"\")";
            // the recorded mask is the tokenizer's: 1 from start-of-text through end-of-text
            LongTensor ids = ids(t);
            BoolTensor mask = mask(t);
            for (int i = 0; i < ids.size(); i++) {
                assertThat(mask.get(i)).as("mask vs ids at %d", i).isEqualTo(ids.get(i) != 0);
            }
            TextConditioning java = javaText(t);
            TextConditioning torch = torchText(t);
            assertClose(what + " text_embeds", java.textEmbeds(), torch.textEmbeds(), TEXT_TOL);
            assertClose(what + " last_hidden_state", java.hiddenStates(), torch.hiddenStates(), TEXT_TOL);
        }
    }

    @Test
    void priorAloneMatchesTorch() {
        Map<String, Object> s = stageSettings("prior");
        Tensor java = prior.pipeline().generate(new PriorPipeline.Request(torchText(section("text")),
                torchText(Json.object(section("text").get("unconditional"))), seeds, steps(s), guidance(s)),
                p -> {}, () -> false);
        assertClose("prior alone", java, Json.tensor(section("prior").get("image_embeds")), PRIOR_TOL);
    }

    @Test
    void decoderAloneMatchesTorch() {
        Map<String, Object> s = stageSettings("decoder");
        Tensor java = decoder.pipeline().generate(new DecoderPipeline.Request(
                Json.tensor(section("prior").get("image_embeds")), torchText(section("text")),
                torchText(Json.object(section("text").get("unconditional"))), seeds, steps(s), guidance(s),
                List.of(), family.decoder().resolution()), p -> {}, () -> false);
        assertClose("decoder alone", java, torchImage("decoder"), IMAGE_TOL);
    }

    @Test
    void eachUpsamplerAloneMatchesTorch() {
        for (int k = 0; k < family.upsamplers().size(); k++) {
            UpsamplerSpec spec = family.upsamplers().get(k);
            Tensor java = upsamplerAlone(k);
            if (k + 1 < family.upsamplers().size()) {
                assertClose(spec.name() + " alone", java, torchImage(spec.name()), IMAGE_TOL);
            } else {
                assertFinalImages(spec.name() + " alone", java, IMAGE_TOL);
            }
        }
    }

    /**
     * Upsampler {@code k} in a {@link DecoderPipeline} whose earlier stages replay the torch images:
     * one x0-predicting step from t = T−1 to the end returns its model output exactly (coefficients 1
     * and 0, σ = 1e-10), so the upsampler sees the torch image of the stage before it, resized by
     * the pipeline.
     */
    private static Tensor upsamplerAlone(int k) {
        int n = seeds.size();
        DecoderPipeline.Stage replayDecoder = replayStage(family.decoder().resolution());
        DecoderDenoiser decoderNet = (sample, t, c) -> k == 0 ? torchImage("decoder") : zeros(n, sample);
        TextProjection noProjection = (embeds, te, hidden) -> new TextProjection.Projection(
                Tensor.zeros(embeds.batch(), hidden.dim(1), 1), Tensor.zeros(embeds.batch(), 1));
        List<DecoderPipeline.Stage> stages = new ArrayList<>();
        List<UpsamplerDenoiser> nets = new ArrayList<>();
        List<Integer> steps = new ArrayList<>();
        int model = 0;
        for (int j = 0; j <= k; j++) {
            UpsamplerSpec u = family.upsamplers().get(j);
            OnnxModel first = upsamplerModels.get(model++);
            Optional<OnnxModel> lastGraph = u.graphLast().isPresent()
                    ? Optional.of(upsamplerModels.get(model++)) : Optional.empty();
            if (j < k) {
                String name = u.name();
                boolean feedsK = j == k - 1;
                stages.add(replayStage(u.outputResolution()));
                nets.add((sample, t, last) -> feedsK ? torchImage(name) : zeros(n, sample));
                steps.add(1);
            } else {
                stages.add(new DecoderPipeline.Stage(u.sampling().newSampler(), u.outputResolution()));
                nets.add(new OnnxUpsamplerDenoiser(first, lastGraph));
                steps.add(steps(upsamplerSettings(j)));
            }
        }
        DecoderPipeline pipeline = new DecoderPipeline(replayDecoder, family.decoder().cfgImageEmbedding(),
                noProjection, decoderNet, stages, nets);
        return pipeline.generate(new DecoderPipeline.Request(Json.tensor(section("prior").get("image_embeds")),
                torchText(section("text")), torchText(Json.object(section("text").get("unconditional"))), seeds,
                1, 1.0, steps, family.upsamplers().get(k).outputResolution()), p -> {}, () -> false);
    }

    private static DecoderPipeline.Stage replayStage(int resolution) {
        return new DecoderPipeline.Stage(new DdpmSampler(family.decoder().sampling().noiseSchedule(),
                PredictionType.SAMPLE, VarianceType.FIXED_SMALL_LOG, 1.0), resolution);
    }

    private static Tensor zeros(int n, Tensor sample) {
        return Tensor.zeros(n, 3, sample.dim(2), sample.dim(3));
    }

    // ---- the whole cascade -------------------------------------------------------------------

    @Test
    void wholeCascadeFromTokenIdsMatchesTorch() {
        Map<String, Object> text = section("text");
        TextConditioning cond = javaText(text);
        TextConditioning uncond = javaText(Json.object(text.get("unconditional")));
        Map<String, Object> ps = stageSettings("prior");
        Tensor embeds = prior.pipeline().generate(new PriorPipeline.Request(cond, uncond, seeds, steps(ps),
                guidance(ps)), p -> {}, () -> false);
        assertClose("cascade prior", embeds, Json.tensor(section("prior").get("image_embeds")), CASCADE_PRIOR_TOL);

        Map<String, Object> ds = stageSettings("decoder");
        List<Integer> upSteps = new ArrayList<>();
        for (int k = 0; k <= family.upsamplers().size(); k++) {
            boolean last = k == family.upsamplers().size();
            int size = k == 0 ? family.decoder().resolution() : family.upsamplers().get(k - 1).outputResolution();
            String stage = k == 0 ? "decoder" : family.upsamplers().get(k - 1).name();
            Tensor images = decoder.pipeline().generate(new DecoderPipeline.Request(embeds, cond, uncond, seeds,
                    steps(ds), guidance(ds), upSteps, size), p -> {}, () -> false);
            if (last) {
                assertFinalImages("cascade " + stage, images, CASCADE_IMAGE_TOL);
            } else {
                assertClose("cascade " + stage, images, torchImage(stage), CASCADE_IMAGE_TOL);
                upSteps.add(steps(upsamplerSettings(k)));
            }
        }
    }

    /** The file's SHA-256, read in chunks: graphs and their external data may be over 2 GB. */
    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The external-data files of the family folder ({@code *.onnx.data}, models/CONTRACT.md): each
     * must be hashed in parity.json, or the reference could hold for other weights.
     */
    static List<String> externalDataFiles(Path familyDir) throws IOException {
        try (var files = Files.list(familyDir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".onnx.data")).sorted().toList();
        }
    }

    /** Just enough JSON for parity.json: objects, arrays, strings, numbers (kept as text), literals. */
    static final class Json {

        record Num(String text) {
            long asLong() {
                return Long.parseLong(text);
            }

            double asDouble() {
                return Double.parseDouble(text);
            }

            float asFloat() {
                return Float.parseFloat(text);
            }
        }

        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) {
                throw p.error("trailing characters");
            }
            return v;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> object(Object o) {
            if (!(o instanceof Map)) {
                throw new IllegalStateException("parity.json: expected an object, got " + o);
            }
            return (Map<String, Object>) o;
        }

        @SuppressWarnings("unchecked")
        static List<Object> list(Object o) {
            if (!(o instanceof List)) {
                throw new IllegalStateException("parity.json: expected an array, got " + o);
            }
            return (List<Object>) o;
        }

        static Num num(Object o) {
            if (!(o instanceof Num n)) {
                throw new IllegalStateException("parity.json: expected a number, got " + o);
            }
            return n;
        }

        /** {"shape": [...], "data": [...]} → a tensor. */
        static Tensor tensor(Object o) {
            Map<String, Object> m = object(o);
            List<Object> shapeList = list(m.get("shape"));
            long[] shape = new long[shapeList.size()];
            for (int k = 0; k < shape.length; k++) {
                shape[k] = num(shapeList.get(k)).asLong();
            }
            List<Object> dataList = list(m.get("data"));
            float[] data = new float[dataList.size()];
            for (int k = 0; k < data.length; k++) {
                data[k] = num(dataList.get(k)).asFloat();
            }
            return new Tensor(shape, data);
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{' -> {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek('}')) {
                        return m;
                    }
                    do {
                        ws();
                        String key = string();
                        ws();
                        expect(':');
                        m.put(key, value());
                        ws();
                    } while (peek(','));
                    expect('}');
                    return m;
                }
                case '[' -> {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek(']')) {
                        return l;
                    }
                    do {
                        l.add(value());
                        ws();
                    } while (peek(','));
                    expect(']');
                    return l;
                }
                case '"' -> {
                    return string();
                }
                default -> {
                    for (String lit : List.of("true", "false", "null")) {
                        if (s.startsWith(lit, i)) {
                            i += lit.length();
                            return lit.equals("null") ? null : Boolean.valueOf(lit);
                        }
                    }
                    int start = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    if (start == i) {
                        throw error("unexpected '" + c + "'");
                    }
                    return new Num(s.substring(start, i));
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalStateException error(String what) {
            return new IllegalStateException("parity.json: " + what + " at character " + i);
        }
    }
}
