package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.gateway.embeddings.EmbeddingMath;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * {@code POST /v1/images/interpolations} and {@code POST /v1/images/text_diffs} (and the same jobs
 * through {@code POST /v1/jobs}) through the real Redis job queue, with the fake stages: the
 * decoder must receive exactly the slerped embeddings, one seed for every frame.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class ManipulationsResourceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String RED = "a large red circle in the center on a blue background";
    private static final String GREEN = "a small green square on the left on a white background";

    @TestHTTPResource("/")
    URI base;

    FakeStages stages;

    // ------------------------------------------------------------------ helpers

    private HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> interpolate(String body) throws Exception {
        return post("/v1/images/interpolations", body, Map.of());
    }

    private HttpResponse<String> textDiff(String body) throws Exception {
        return post("/v1/images/text_diffs", body, Map.of());
    }

    private static String b64(byte[] png) {
        return Base64.getEncoder().encodeToString(png);
    }

    private static JsonNode ok(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        return JSON.readTree(response.body());
    }

    private static void assertOpenAiError(HttpResponse<String> response, String param, String code) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        if (param == null) {
            assertThat(error.get("param").isNull()).as(response.body()).isTrue();
        } else {
            assertThat(error.get("param").asText()).as(response.body()).isEqualTo(param);
        }
        assertThat(error.get("code").asText()).as(response.body()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank();
    }

    /** The frames as b64 PNGs of the given side, with their θ and the one seed. */
    private static void assertFrames(JsonNode body, List<Double> thetas, long seed, int side) throws IOException {
        assertThat(body.get("created").asLong()).isPositive();
        JsonNode data = body.get("data");
        assertThat(data).hasSize(thetas.size());
        for (int i = 0; i < thetas.size(); i++) {
            JsonNode frame = data.get(i);
            assertThat(frame.get("theta").asDouble()).isCloseTo(thetas.get(i), within(1e-12));
            assertThat(frame.get("seed").asLong()).isEqualTo(seed);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(frame.get("b64_json").asText())));
            assertThat(image).isNotNull();
            assertThat(image.getWidth()).isEqualTo(side);
        }
    }

    /** The decoder got these embeddings (one row per frame), the one seed per frame and the empty prompt. */
    private void assertDecoderGot(List<float[]> expected, long seed) {
        DecoderRequest decoder = stages.lastDecoderRequest;
        assertThat(decoder.getSeedsList()).hasSize(expected.size()).containsOnly(seed);
        assertThat(decoder.hasText()).as("frames are decoded with the empty prompt").isFalse();
        assertThat(decoder.hasUnconditional()).isTrue();
        assertThat(decoder.getImageEmbeds().getShapeList()).containsExactly((long) expected.size(), 4L);
        float[][] rows = FakeStages.rows(decoder.getImageEmbeds());
        for (int i = 0; i < expected.size(); i++) {
            assertThat(rows[i]).as("frame %d", i).containsExactly(expected.get(i), within(1e-6f));
        }
    }

    private static List<float[]> slerped(float[] a, float[] b, List<Double> thetas) {
        return thetas.stream().map(t -> EmbeddingMath.slerp(a, b, t)).toList();
    }

    // ------------------------------------------------------------------ interpolations

    @Test
    void promptToPrompt_decodesTheSlerpedPriorEmbeddings_withOneSeed() throws Exception {
        JsonNode body =
                ok(interpolate("{\"from\":{\"prompt\":\"" + RED + "\"},\"to\":{\"prompt\":\"" + GREEN + "\"},"
                        + "\"frames\":5,\"seed\":42,\"size\":\"64x64\",\"prior_steps\":4,\"decoder_steps\":6,"
                        + "\"decoder_guidance_scale\":2.5,\"preset\":\"fast\"}"));

        List<Double> thetas = List.of(0.0, 0.25, 0.5, 0.75, 1.0);
        assertFrames(body, thetas, 42, 64);
        assertThat(stages.lastTextRequest.getPromptsList()).containsExactly(RED, GREEN);
        // Both prompts through the prior in one call, with the same seed.
        assertThat(stages.lastPriorRequest.getSeedsList()).containsExactly(42L, 42L);
        assertThat(stages.lastPriorRequest.getText().getTextEmbeds().getShape(0)).isEqualTo(2);
        assertThat(stages.lastPriorRequest.getSteps()).isEqualTo(4);
        float[] z0 = FakeStages.priorEmbedding(FakeStages.textEmbedding(RED), 42);
        float[] z1 = FakeStages.priorEmbedding(FakeStages.textEmbedding(GREEN), 42);
        assertDecoderGot(slerped(z0, z1, thetas), 42);
        float[][] rows = FakeStages.rows(stages.lastDecoderRequest.getImageEmbeds());
        assertThat(rows[0]).containsExactly(z0);
        assertThat(rows[4]).containsExactly(z1);
        // The prior's samples have length 1.2; slerp keeps it, where a straight line would shrink it.
        for (float[] row : rows) {
            assertThat(EmbeddingMath.norm(row)).isCloseTo(1.2, within(1e-5));
        }
        assertThat(EmbeddingMath.angle(z0, rows[2])).isCloseTo(EmbeddingMath.angle(z0, z1) / 2, within(1e-5));
        DecoderRequest decoder = stages.lastDecoderRequest;
        assertThat(decoder.getSize()).isEqualTo(64);
        assertThat(decoder.getDecoderSteps()).isEqualTo(6);
        assertThat(decoder.getGuidanceScale()).isEqualTo(2.5f);
        assertThat(decoder.getPreset()).isEqualTo("fast");
        assertThat(decoder.getPreviews()).isFalse();
    }

    @Test
    void imageToPrompt_usesTheImageEncoderForOneEnd_andInterpolatesTheLengths() throws Exception {
        byte[] png = VariationsResourceTest.png(24, 24);
        int imageCalls = stages.imageEncoderCalls.get();

        JsonNode body =
                ok(interpolate("{\"from\":{\"image\":\"data:image/png;base64," + b64(png) + "\"},\"to\":{\"prompt\":\"" + GREEN
                        + "\"},\"frames\":3,\"seed\":7,\"size\":\"64x64\"}"));

        List<Double> thetas = List.of(0.0, 0.5, 1.0);
        assertFrames(body, thetas, 7, 64);
        assertThat(stages.imageEncoderCalls.get()).isEqualTo(imageCalls + 1);
        assertThat(stages.lastImageRequest.getImages(0).toByteArray()).isEqualTo(png);
        assertThat(stages.lastPriorRequest.getSeedsList()).containsExactly(7L);
        float[] z0 = FakeStages.imageEmbedding(png);
        float[] z1 = FakeStages.priorEmbedding(FakeStages.textEmbedding(GREEN), 7);
        assertDecoderGot(slerped(z0, z1, thetas), 7);
        float[][] rows = FakeStages.rows(stages.lastDecoderRequest.getImageEmbeds());
        assertThat(EmbeddingMath.norm(rows[1])).as("half way from length 1 to 1.2").isCloseTo(1.1, within(1e-5));
    }

    @Test
    void imageToImage_skipsThePrior_andDrawsOneSeedForAllFrames() throws Exception {
        byte[] a = VariationsResourceTest.png(20, 20);
        byte[] b = VariationsResourceTest.png(30, 30);
        int priorCalls = stages.priorCalls.get();

        JsonNode body =
                ok(interpolate("{\"from\":{\"image\":\"" + b64(a) + "\"},\"to\":{\"image\":\"" + b64(b) + "\"},\"size\":\"64x64\"}"));

        assertThat(stages.priorCalls.get()).isEqualTo(priorCalls);
        assertThat(stages.lastImageRequest.getImagesList()).hasSize(2);
        assertThat(stages.lastTextRequest.getPromptsList()).as("only the empty prompt, for the decoder").containsExactly("");
        JsonNode data = body.get("data");
        assertThat(data).hasSize(ManipulationRequestParser.DEFAULT_FRAMES);
        long seed = data.get(0).get("seed").asLong();
        List<Double> thetas = EmbeddingMath.thetas(5, 1.0);
        assertFrames(body, thetas, seed, 64);
        assertDecoderGot(slerped(FakeStages.imageEmbedding(a), FakeStages.imageEmbedding(b), thetas), seed);
    }

    @Test
    void urlFormat_andTheJobView_carryTheThetas() throws Exception {
        HttpResponse<String> response =
                interpolate("{\"from\":{\"prompt\":\"" + RED + "\"},\"to\":{\"prompt\":\"" + GREEN + "\"},\"frames\":2,"
                        + "\"size\":\"64x64\",\"response_format\":\"url\"}");
        JsonNode data = ok(response).get("data");
        assertThat(data).hasSize(2);
        assertThat(data.get(1).get("theta").asDouble()).isEqualTo(1.0);
        HttpResponse<byte[]> image =
                HTTP.send(HttpRequest.newBuilder(URI.create(data.get(1).get("url").asText())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(ImageIO.read(new ByteArrayInputStream(image.body())).getWidth()).isEqualTo(64);

        String job = response.headers().firstValue(ImagesResource.JOB_ID_HEADER).orElseThrow();
        JsonNode view = JSON.readTree(HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + job)).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(view.get("state").asText()).isEqualTo("succeeded");
        assertThat(view.get("data").get(0).get("theta").asDouble()).isEqualTo(0.0);
        assertThat(view.get("data").get(1).get("theta").asDouble()).isEqualTo(1.0);
    }

    @Test
    void idempotencyKey_replaysTheSameInterpolation() throws Exception {
        String body = "{\"from\":{\"prompt\":\"" + RED + "\"},\"to\":{\"prompt\":\"" + GREEN + "\"},\"frames\":2,\"size\":\"64x64\"}";
        String key = "interp-" + UUID.randomUUID();
        HttpResponse<String> first = post("/v1/images/interpolations", body, Map.of("Idempotency-Key", key));
        HttpResponse<String> second = post("/v1/images/interpolations", body, Map.of("Idempotency-Key", key));

        assertThat(ok(first).get("data").get(0).get("seed")).isEqualTo(ok(second).get("data").get(0).get("seed"));
        assertThat(second.headers().firstValue(ImagesResource.JOB_ID_HEADER)).isEqualTo(first.headers().firstValue(ImagesResource.JOB_ID_HEADER));
        assertThat(second.headers().firstValue(JobSubmitter.REPLAYED)).hasValue("true");
        HttpResponse<String> elsewhere = post("/v1/images/text_diffs", body, Map.of("Idempotency-Key", key));
        assertThat(elsewhere.statusCode()).as(elsewhere.body()).isIn(400, 409);
    }

    // ------------------------------------------------------------------ text diffs

    @Test
    void textDiff_fromAPrompt_turnsThePriorEmbeddingTowardsTheCaptionDiff() throws Exception {
        String from = "a large red circle";
        String to = "a large blue circle";
        JsonNode body =
                ok(textDiff("{\"prompt\":\"" + RED + "\",\"from_text\":\"" + from + "\",\"to_text\":\"" + to + "\","
                        + "\"frames\":3,\"seed\":9,\"size\":\"64x64\"}"));

        List<Double> thetas = List.of(0.0, 0.25, 0.5);
        assertFrames(body, thetas, 9, 64);
        assertThat(stages.lastTextRequest.getPromptsList()).containsExactly(from, to, RED);
        assertThat(stages.lastPriorRequest.getSeedsList()).containsExactly(9L);
        assertThat(FakeStages.rows(stages.lastPriorRequest.getText().getTextEmbeds())).hasDimensions(1, 4);
        assertThat(FakeStages.rows(stages.lastPriorRequest.getText().getTextEmbeds())[0]).containsExactly(FakeStages.textEmbedding(RED));
        float[] start = FakeStages.priorEmbedding(FakeStages.textEmbedding(RED), 9);
        float[] diff = EmbeddingMath.textDiff(FakeStages.textEmbedding(from), FakeStages.textEmbedding(to));
        assertDecoderGot(slerped(start, diff, thetas), 9);
    }

    @Test
    void textDiff_fromAnImage_withMaxTheta() throws Exception {
        byte[] png = VariationsResourceTest.png(16, 16);
        JsonNode body =
                ok(textDiff("{\"image\":\"" + b64(png) + "\",\"from_text\":\"a red circle\",\"to_text\":\"a red square\","
                        + "\"frames\":5,\"max_theta\":0.8,\"seed\":3,\"size\":\"64x64\"}"));

        List<Double> thetas = EmbeddingMath.thetas(5, 0.8);
        assertFrames(body, thetas, 3, 64);
        float[] diff = EmbeddingMath.textDiff(FakeStages.textEmbedding("a red circle"), FakeStages.textEmbedding("a red square"));
        assertDecoderGot(slerped(FakeStages.imageEmbedding(png), diff, thetas), 3);
    }

    @Test
    void textDiff_whoseCaptionsEncodeAlike_is400_onToText() throws Exception {
        // "Aa" and "BB" have the same String.hashCode, so the fake text encoder embeds them alike.
        HttpResponse<String> response =
                textDiff("{\"prompt\":\"" + RED + "\",\"from_text\":\"Aa\",\"to_text\":\"BB\",\"size\":\"64x64\"}");
        assertOpenAiError(response, "to_text", "invalid_value");
        assertThat(response.body()).contains("same CLIP text embedding");
    }

    // ------------------------------------------------------------------ through /v1/jobs

    @Test
    void jobsEndpoint_takesATypedInterpolation_andAnswersFramesWithThetas() throws Exception {
        HttpResponse<String> submitted =
                post("/v1/jobs", "{\"type\":\"interpolation\",\"from\":{\"prompt\":\"" + RED + "\"},\"to\":{\"prompt\":\"" + GREEN
                        + "\"},\"frames\":3,\"seed\":11,\"size\":\"64x64\"}", Map.of());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String id = JSON.readTree(submitted.body()).get("id").asText();
        assertThat(JSON.readTree(submitted.body()).get("seeds")).hasSize(3);

        JsonNode view = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            view = JSON.readTree(HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id)).build(), HttpResponse.BodyHandlers.ofString()).body());
            if (view.get("state").asText().equals("succeeded") || view.get("state").asText().equals("failed")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(view.get("state").asText()).as(view.toString()).isEqualTo("succeeded");
        assertThat(view.get("data")).hasSize(3);
        assertThat(view.get("data").get(1).get("theta").asDouble()).isEqualTo(0.5);
        assertThat(stages.lastDecoderRequest.getSeedsList()).containsExactly(11L, 11L, 11L);
        assertThat(stages.lastDecoderRequest.getPreviews()).as("jobs ask for previews").isTrue();
    }

    @Test
    void jobsEndpoint_refusesAnUnknownType_andValidatesTheTypedBody() throws Exception {
        assertOpenAiError(post("/v1/jobs", "{\"type\":\"inpainting\",\"prompt\":\"x\"}", Map.of()), "type", "invalid_value");
        assertOpenAiError(post("/v1/jobs", "{\"type\":3,\"prompt\":\"x\"}", Map.of()), "type", "invalid_type");
        assertOpenAiError(post("/v1/jobs", "{\"type\":\"text_diff\",\"prompt\":\"x\"}", Map.of()), "from_text", "missing_required_parameter");
        assertOpenAiError(post("/v1/jobs", "{\"type\":\"interpolation\",\"prompt\":\"x\"}", Map.of()), "prompt", "unknown_parameter");
    }

    // ------------------------------------------------------------------ validation

    @Test
    void interpolationMistakes_are400_onTheirParam() throws Exception {
        String to = ",\"to\":{\"prompt\":\"b\"}";
        String png = b64(VariationsResourceTest.png(8, 8));
        Object[][] cases = {
            {"{\"to\":{\"prompt\":\"b\"}}", "from", "missing_required_parameter"},
            {"{\"from\":{\"prompt\":\"a\"}}", "to", "missing_required_parameter"},
            {"{\"from\":\"a red circle\"" + to + "}", "from", "invalid_type"},
            {"{\"from\":{}" + to + "}", "from", "missing_required_parameter"},
            {"{\"from\":{\"prompt\":\"a\",\"image\":\"" + png + "\"}" + to + "}", "from", "invalid_value"},
            {"{\"from\":{\"prompt\":\"a\",\"seed\":1}" + to + "}", "from.seed", "unknown_parameter"},
            {"{\"from\":{\"prompt\":\"  \"}" + to + "}", "from.prompt", "empty_string"},
            {"{\"from\":{\"image\":\"***\"}" + to + "}", "from.image", "invalid_base64"},
            {"{\"from\":{\"image\":\"" + b64("not a png".getBytes()) + "\"}" + to + "}", "from.image", "invalid_image_format"},
            {"{\"from\":{\"image\":\"" + b64(VariationsResourceTest.png(8, 4)) + "\"}" + to + "}", "from.image", "invalid_image_dimensions"},
            {"{\"from\":{\"image\":7}" + to + "}", "from.image", "invalid_type"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"frames\":1}", "frames", "integer_below_min_value"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"frames\":17}", "frames", "integer_above_max_value"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"frames\":2.5}", "frames", "invalid_type"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"size\":\"300x300\"}", "size", "invalid_value"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"seed\":\"x\"}", "seed", "invalid_type"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"response_format\":\"xml\"}", "response_format", "invalid_value"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"n\":2}", "n", "unknown_parameter"},
            {"{\"from\":{\"prompt\":\"a\"}" + to + ",\"max_theta\":0.5}", "max_theta", "unknown_parameter"},
            {"[1]", null, "invalid_type"},
            {"{\"from\":", null, "invalid_json"},
        };
        for (Object[] c : cases) {
            assertOpenAiError(interpolate((String) c[0]), (String) c[1], (String) c[2]);
        }
    }

    @Test
    void anOversizedImage_is400_beforeItIsDecoded() throws Exception {
        String big = "A".repeat(6 * 1024 * 1024);
        assertOpenAiError(interpolate("{\"from\":{\"image\":\"" + big + "\"},\"to\":{\"prompt\":\"b\"}}"), "from.image", "image_too_large");
    }

    @Test
    void textDiffMistakes_are400_onTheirParam() throws Exception {
        String texts = ",\"from_text\":\"a red circle\",\"to_text\":\"a blue circle\"";
        Object[][] cases = {
            {"{\"from_text\":\"a\",\"to_text\":\"b\"}", "prompt", "missing_required_parameter"},
            {"{\"prompt\":\"x\",\"image\":\"" + b64(new byte[8]) + "\"" + texts + "}", "prompt", "invalid_value"},
            {"{\"prompt\":\"x\",\"to_text\":\"b\"}", "from_text", "missing_required_parameter"},
            {"{\"prompt\":\"x\",\"from_text\":\"a\"}", "to_text", "missing_required_parameter"},
            {"{\"prompt\":\"x\",\"from_text\":1,\"to_text\":\"b\"}", "from_text", "invalid_type"},
            {"{\"prompt\":\"x\",\"from_text\":\"a red circle\",\"to_text\":\" a red circle \"}", "to_text", "invalid_value"},
            {"{\"prompt\":\"x\"" + texts + ",\"max_theta\":0}", "max_theta", "invalid_value"},
            {"{\"prompt\":\"x\"" + texts + ",\"max_theta\":1.5}", "max_theta", "invalid_value"},
            {"{\"prompt\":\"x\"" + texts + ",\"max_theta\":\"half\"}", "max_theta", "invalid_type"},
            {"{\"prompt\":\"x\"" + texts + ",\"frames\":0}", "frames", "integer_below_min_value"},
            {"{\"prompt\":\"x\"" + texts + ",\"from\":{\"prompt\":\"y\"}}", "from", "unknown_parameter"},
            {"{\"image\":\"" + b64(VariationsResourceTest.png(6, 9)) + "\"" + texts + "}", "image", "invalid_image_dimensions"},
        };
        for (Object[] c : cases) {
            assertOpenAiError(textDiff((String) c[0]), (String) c[1], (String) c[2]);
        }
    }

    @Test
    void anEmptyFromText_isTheEmptyCaption() throws Exception {
        JsonNode body = ok(textDiff("{\"prompt\":\"" + RED + "\",\"from_text\":\"\",\"to_text\":\"a green background\",\"frames\":2,\"size\":\"64x64\"}"));
        assertThat(body.get("data")).hasSize(2);
        assertThat(stages.lastTextRequest.getPromptsList()).containsExactly("", "a green background", RED);
    }

    @Test
    void aStageRejectingOneEndpoint_is400_onThatNestedField() throws Exception {
        String good = b64(VariationsResourceTest.png(8, 8));
        String undecodable = b64(VariationsResourceTest.png(11, 11));
        assertOpenAiError(
                interpolate("{\"from\":{\"image\":\"" + good + "\"},\"to\":{\"image\":\"" + undecodable + "\"},\"size\":\"64x64\"}"),
                "to.image", "invalid_value");
        assertOpenAiError(
                interpolate("{\"from\":{\"image\":\"" + undecodable + "\"},\"to\":{\"prompt\":\"b\"},\"size\":\"64x64\"}"),
                "from.image", "invalid_value");
        assertOpenAiError(
                interpolate("{\"from\":{\"image\":\"" + good + "\"},\"to\":{\"prompt\":\"an unknown-word circle\"},\"size\":\"64x64\"}"),
                "to.prompt", "invalid_value");
        assertOpenAiError(
                interpolate("{\"from\":{\"prompt\":\"a red circle\"},\"to\":{\"prompt\":\"an unknown-word circle\"},\"size\":\"64x64\"}"),
                "to.prompt", "invalid_value");
        assertOpenAiError(
                textDiff("{\"prompt\":\"a red circle\",\"from_text\":\"red\",\"to_text\":\"unknown-word\",\"size\":\"64x64\"}"),
                "to_text", "invalid_value");
        assertOpenAiError(
                textDiff("{\"image\":\"" + undecodable + "\",\"from_text\":\"red\",\"to_text\":\"blue\",\"size\":\"64x64\"}"),
                "image", "invalid_value");
    }

    @Test
    void aFamilyWithoutImageEncoder_is400_unsupportedOperation() throws Exception {
        HttpResponse<String> response =
                interpolate("{\"from\":{\"image\":\"" + b64(VariationsResourceTest.png(13, 13)) + "\"},\"to\":{\"prompt\":\"b\"},\"size\":\"64x64\"}");
        assertOpenAiError(response, null, "unsupported_operation");
        assertThat(response.body()).contains("interpolations");
    }

    @Test
    void aTextContentType_isRefused() throws Exception {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/text_diffs"))
                                .header("Content-Type", "text/plain")
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertOpenAiError(response, null, "unsupported_content_type");
    }
}
