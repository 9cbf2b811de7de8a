package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.jobs.Seeds;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * {@code POST /v1/images/variations} (multipart, through the real Redis job queue and the fake
 * stages) and the refusal of {@code POST /v1/images/edits}.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class VariationsResourceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    FakeStages stages;

    // ------------------------------------------------------------------ helpers

    static byte[] png(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0xff0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** A multipart/form-data body: text fields, then the file {@code image} unless it is null. */
    static final class Form {
        final String boundary = "----unclip" + UUID.randomUUID();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();

        Form field(String name, String value) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n");
            return this;
        }

        Form file(String name, String filename, String type, byte[] content) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
                    + "\"\r\nContent-Type: " + type + "\r\n\r\n");
            body.writeBytes(content);
            write("\r\n");
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(body.toByteArray());
            out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return out.toByteArray();
        }

        private void write(String s) {
            body.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    private HttpResponse<String> post(String path, Form form, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve(path))
                        .header("Content-Type", "multipart/form-data; boundary=" + form.boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes()));
        headers.forEach(request::header);
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(Form form) throws Exception {
        return post("/v1/images/variations", form, Map.of());
    }

    private static void assertOpenAiError(HttpResponse<String> response, int status, String param, String code) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
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

    // ------------------------------------------------------------------ success

    @Test
    void variations_encodeTheImage_andDecodeWithoutPromptOrPrior() throws Exception {
        byte[] input = png(32, 32);
        int priorCalls = stages.priorCalls.get();

        HttpResponse<String> response =
                post(new Form().file("image", "in.png", "image/png", input).field("n", "2").field("size", "64x64")
                        .field("seed", "42").field("decoder_steps", "6").field("upsampler_steps", "3")
                        .field("decoder_guidance_scale", "2.5").field("model", "dall-e-2").field("user", "u"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        assertThat(response.headers().firstValue(ImagesResource.JOB_ID_HEADER)).isPresent();
        JsonNode data = JSON.readTree(response.body()).get("data");
        assertThat(data).hasSize(2);
        long[] seeds = Seeds.forImages(42, 2);
        for (int i = 0; i < 2; i++) {
            assertThat(data.get(i).get("seed").asLong()).isEqualTo(seeds[i]);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(data.get(i).get("b64_json").asText())));
            assertThat(image.getWidth()).isEqualTo(64);
        }
        assertThat(stages.lastImageRequest.getImagesList()).hasSize(1);
        assertThat(stages.lastImageRequest.getImages(0).toByteArray()).isEqualTo(input);
        assertThat(stages.priorCalls.get()).as("the prior is skipped").isEqualTo(priorCalls);
        var decoder = stages.lastDecoderRequest;
        assertThat(decoder.hasText()).as("no prompt: the decoder uses the empty one").isFalse();
        assertThat(decoder.hasUnconditional()).isTrue();
        assertThat(decoder.getImageEmbeds().getShapeList()).containsExactly(2L, 4L);
        float[][] embeds = FakeStages.rows(decoder.getImageEmbeds());
        assertThat(embeds[0]).containsExactly(FakeStages.imageEmbedding(input));
        assertThat(embeds[1]).containsExactly(FakeStages.imageEmbedding(input));
        assertThat(decoder.getSeedsList()).containsExactly(seeds[0], seeds[1]);
        assertThat(decoder.getDecoderSteps()).isEqualTo(6);
        assertThat(decoder.getUpsamplerSteps()).isEqualTo(3);
        assertThat(decoder.getGuidanceScale()).isEqualTo(2.5f);
        assertThat(decoder.getSize()).isEqualTo(64);
    }

    @Test
    void urlFormat_servesThePngs() throws Exception {
        HttpResponse<String> response =
                post(new Form().file("image", "in.png", "image/png", png(16, 16)).field("response_format", "url").field("size", "64x64"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode data = JSON.readTree(response.body()).get("data");
        assertThat(data).hasSize(1);
        String url = data.get(0).get("url").asText();
        assertThat(data.get(0).has("b64_json")).isFalse();
        HttpResponse<byte[]> image = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(ImageIO.read(new ByteArrayInputStream(image.body())).getWidth()).isEqualTo(64);
    }

    @Test
    void idempotencyKey_replaysTheSameVariationJob() throws Exception {
        byte[] input = png(8, 8);
        String key = "variation-" + UUID.randomUUID();
        HttpResponse<String> first =
                post("/v1/images/variations", new Form().file("image", "a.png", "image/png", input).field("size", "64x64"), Map.of("Idempotency-Key", key));
        HttpResponse<String> second =
                post("/v1/images/variations", new Form().file("image", "a.png", "image/png", input).field("size", "64x64"), Map.of("Idempotency-Key", key));
        HttpResponse<String> other =
                post("/v1/images/variations", new Form().file("image", "a.png", "image/png", input).field("size", "256x256"), Map.of("Idempotency-Key", key));

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(second.headers().firstValue(ImagesResource.JOB_ID_HEADER)).isEqualTo(first.headers().firstValue(ImagesResource.JOB_ID_HEADER));
        assertThat(second.headers().firstValue(JobSubmitter.REPLAYED)).hasValue("true");
        assertThat(other.statusCode()).as(other.body()).isEqualTo(409);
    }

    // ------------------------------------------------------------------ variation jobs (multipart POST /v1/jobs)

    private JsonNode awaitJob(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        JsonNode view;
        do {
            view = JSON.readTree(HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id)).build(), HttpResponse.BodyHandlers.ofString()).body());
            String state = view.get("state").asText();
            if (!state.equals("queued") && !state.equals("running")) {
                return view;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("job " + id + " did not finish: " + view);
    }

    @Test
    void aVariationJob_isAMultipartPostToJobs_answered202_withPreviewsByDefault() throws Exception {
        byte[] input = png(24, 24);
        HttpResponse<String> submitted =
                post("/v1/jobs", new Form().file("image", "in.png", "image/png", input).field("n", "2").field("size", "64x64").field("seed", "9"),
                        Map.of());

        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        JsonNode job = JSON.readTree(submitted.body());
        String id = job.get("id").asText();
        assertThat(submitted.headers().firstValue("location")).hasValueSatisfying(v -> assertThat(v).endsWith("/v1/jobs/" + id));
        long[] seeds = Seeds.forImages(9, 2);
        assertThat(job.get("seeds").get(1).asLong()).isEqualTo(seeds[1]);
        JsonNode done = awaitJob(id);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.get("data")).hasSize(2);
        assertThat(done.get("data").get(1).get("seed").asLong()).isEqualTo(seeds[1]);
        HttpResponse<byte[]> image =
                HTTP.send(HttpRequest.newBuilder(URI.create(done.get("data").get(0).get("url").asText())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(ImageIO.read(new ByteArrayInputStream(image.body())).getWidth()).isEqualTo(64);
        assertThat(stages.lastImageRequest.getImages(0).toByteArray()).isEqualTo(input);
        assertThat(FakeStages.rows(stages.lastDecoderRequest.getImageEmbeds())[0]).containsExactly(FakeStages.imageEmbedding(input));
        assertThat(stages.lastDecoderRequest.hasText()).isFalse();
        assertThat(stages.lastDecoderRequest.getPreviews()).isTrue();
    }

    @Test
    void aVariationJob_withPreviewsFalse_andAnIdempotencyKey() throws Exception {
        byte[] input = png(20, 20);
        String key = "variation-job-" + UUID.randomUUID();
        Form form = new Form().file("image", "in.png", "image/png", input).field("size", "64x64").field("previews", "false").field("type", "variation");
        HttpResponse<String> first = post("/v1/jobs", form, Map.of("Idempotency-Key", key));
        HttpResponse<String> again =
                post("/v1/jobs", new Form().file("image", "in.png", "image/png", input).field("size", "64x64").field("previews", "false")
                        .field("type", "variation"), Map.of("Idempotency-Key", key));
        HttpResponse<String> withPreviews =
                post("/v1/jobs", new Form().file("image", "in.png", "image/png", input).field("size", "64x64"), Map.of("Idempotency-Key", key));

        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        String id = JSON.readTree(first.body()).get("id").asText();
        assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
        assertThat(JSON.readTree(again.body()).get("id").asText()).isEqualTo(id);
        assertThat(again.headers().firstValue(JobSubmitter.REPLAYED)).hasValue("true");
        assertThat(withPreviews.statusCode()).as("another body with the same key").isEqualTo(409);
        assertThat(awaitJob(id).get("state").asText()).isEqualTo("succeeded");
        assertThat(stages.lastDecoderRequest.getPreviews()).isFalse();
    }

    @Test
    void aVariationJob_isValidatedLikeAVariation_plusItsTypeAndPreviews() throws Exception {
        assertOpenAiError(post("/v1/jobs", new Form().field("n", "1"), Map.of()), 400, "image", "missing_required_parameter");
        assertOpenAiError(
                post("/v1/jobs", new Form().file("image", "w.png", "image/png", png(16, 8)), Map.of()), 400, "image", "invalid_image_dimensions");
        assertOpenAiError(
                post("/v1/jobs", new Form().file("image", "a.png", "image/png", png(8, 8)).field("type", "generation"), Map.of()),
                400, "type", "invalid_value");
        assertOpenAiError(
                post("/v1/jobs", new Form().file("image", "a.png", "image/png", png(8, 8)).field("previews", "maybe"), Map.of()),
                400, "previews", "invalid_type");
        // JSON cannot carry the file: the answer says how to send a variation job.
        HttpResponse<String> json =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"variation\",\"n\":1}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertOpenAiError(json, 400, "type", "invalid_value");
        assertThat(JSON.readTree(json.body()).at("/error/message").asText()).contains("multipart/form-data");
    }

    // ------------------------------------------------------------------ validation

    @Test
    void missingImage_is400_onImage() throws Exception {
        assertOpenAiError(post(new Form().field("n", "1")), 400, "image", "missing_required_parameter");
    }

    @Test
    void notAPng_is400_onImage() throws Exception {
        byte[] jpeg;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "jpg", out);
        jpeg = out.toByteArray();
        assertOpenAiError(post(new Form().file("image", "x.jpg", "image/jpeg", jpeg)), 400, "image", "invalid_image_format");
        assertOpenAiError(
                post(new Form().file("image", "x.png", "image/png", "not an image".getBytes(StandardCharsets.UTF_8))),
                400,
                "image",
                "invalid_image_format");
    }

    @Test
    void notSquare_is400_onImage() throws Exception {
        HttpResponse<String> response = post(new Form().file("image", "x.png", "image/png", png(16, 8)));
        assertOpenAiError(response, 400, "image", "invalid_image_dimensions");
        assertThat(response.body()).contains("square");
    }

    @Test
    void over4MB_is400_onImage() throws Exception {
        byte[] big = Arrays.copyOf(png(8, 8), 4 * 1024 * 1024 + 1);
        assertOpenAiError(post(new Form().file("image", "big.png", "image/png", big)), 400, "image", "image_too_large");
    }

    @Test
    void badFields_are400_onTheirParam() throws Exception {
        byte[] input = png(8, 8);
        Map<String, String[]> cases = new LinkedHashMap<>();
        cases.put("n", new String[] {"11", "integer_above_max_value"});
        cases.put("size", new String[] {"999x999", "invalid_value"});
        cases.put("response_format", new String[] {"xml", "invalid_value"});
        cases.put("seed", new String[] {"abc", "invalid_value"});
        cases.put("decoder_steps", new String[] {"-1", "integer_below_min_value"});
        cases.put("decoder_guidance_scale", new String[] {"lots", "invalid_type"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            assertOpenAiError(
                    post(new Form().file("image", "in.png", "image/png", input).field(c.getKey(), c.getValue()[0])),
                    400,
                    c.getKey(),
                    c.getValue()[1]);
        }
        assertOpenAiError(
                post(new Form().file("image", "in.png", "image/png", input).field("n", "0")), 400, "n", "integer_below_min_value");
    }

    @Test
    void aJsonBody_isRefused_withAnOpenAiError() throws Exception {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/variations"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"x\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isBetween(400, 415);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        assertThat(JSON.readTree(response.body()).get("error").get("type").asText()).isEqualTo("invalid_request_error");
    }

    // ------------------------------------------------------------------ malformed multipart bodies

    private HttpResponse<String> postRaw(String path, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void malformedMultipartBodies_are400_neverA500() throws Exception {
        String b = "XyZ";
        byte[] wellFormed = bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n1\r\n--" + b + "--\r\n");
        String formData = "multipart/form-data; boundary=" + b;
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("no boundary", new Object[] {"multipart/form-data", wellFormed});
        cases.put("empty boundary", new Object[] {"multipart/form-data; boundary=", wellFormed});
        cases.put("empty quoted boundary", new Object[] {"multipart/form-data; boundary=\"\"", wellFormed});
        cases.put("another boundary than the body's", new Object[] {"multipart/form-data; boundary=other", wellFormed});
        cases.put("no closing delimiter", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n1")});
        cases.put("truncated part headers", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition: form-da")});
        cases.put("truncated file", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"image\"; "
                + "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n")});
        cases.put("a part header without a colon", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition\r\n\r\n1\r\n--" + b + "--\r\n")});
        cases.put("an empty name", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition: form-data; name=\r\n\r\n1\r\n--" + b + "--\r\n")});
        cases.put("a part in an unknown charset", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"n\"\r\n"
                + "Content-Type: text/plain; charset=bogus\r\n\r\n1\r\n--" + b + "--\r\n")});
        cases.put("a part whose media type is unreadable", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"n\"\r\n"
                + "Content-Type: ;;garbage;;\r\n\r\n1\r\n--" + b + "--\r\n")});
        cases.put("a file name in an unknown charset", new Object[] {formData, bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"image\"; "
                + "filename*=bogus''a.png\r\n\r\nabc\r\n--" + b + "--\r\n")});
        cases.put("an empty body", new Object[] {formData, new byte[0]});
        cases.put("not multipart at all", new Object[] {formData, bytes("hello world")});
        for (String path : new String[] {"/v1/images/variations", "/v1/jobs"}) {
            for (Map.Entry<String, Object[]> c : cases.entrySet()) {
                HttpResponse<String> response = postRaw(path, (String) c.getValue()[0], (byte[]) c.getValue()[1]);

                assertThat(response.statusCode()).as("%s %s: %s", path, c.getKey(), response.body()).isEqualTo(400);
                JsonNode error = JSON.readTree(response.body()).get("error");
                assertThat(error.get("type").asText()).as("%s %s", path, c.getKey()).isEqualTo("invalid_request_error");
                assertThat(error.get("code").asText()).as("%s %s", path, c.getKey()).isEqualTo("invalid_multipart");
                assertThat(error.get("message").asText()).as("%s %s", path, c.getKey()).contains("multipart/form-data")
                        .doesNotContain("Exception").doesNotContain("request id");
            }
        }
    }

    @Test
    void aContentTypeThatIsNoMediaType_is400() throws Exception {
        for (String path : new String[] {"/v1/images/variations", "/v1/jobs", "/v1/images/generations"}) {
            for (String contentType : new String[] {"/", ";;garbage"}) {
                HttpResponse<String> response = postRaw(path, contentType, bytes("{\"prompt\":\"x\"}"));

                assertOpenAiError(response, 400, null, "unsupported_content_type");
            }
        }
    }

    @Test
    void aTextFieldOverTheFormLimit_is413_requestTooLarge() throws Exception {
        HttpResponse<String> response = post(new Form().file("image", "in.png", "image/png", png(8, 8)).field("user", "u".repeat(5000)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("request_too_large");
    }

    @Test
    void wellFormedBodiesWithoutTheImage_orWithAnEmptyOne_are400_onImage() throws Exception {
        String b = "XyZ";
        String formData = "multipart/form-data; boundary=\"" + b + "\"";
        // Parts the form does not know (no name, no Content-Disposition) are ignored: the image is missing.
        byte[] noImage = bytes("--" + b + "\r\nContent-Type: text/plain\r\n\r\n1\r\n--" + b + "\r\n"
                + "Content-Disposition: form-data\r\n\r\n2\r\n--" + b + "--\r\n");
        assertOpenAiError(postRaw("/v1/images/variations", formData, noImage), 400, "image", "missing_required_parameter");
        byte[] emptyFile = bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n\r\n--" + b + "--\r\n");
        assertOpenAiError(postRaw("/v1/images/variations", formData, emptyFile), 400, "image", "invalid_image_format");
        byte[] imageAsText = bytes("--" + b + "\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc\r\n--" + b + "--\r\n");
        assertOpenAiError(postRaw("/v1/images/variations", formData, imageAsText), 400, "image", "invalid_image_format");
    }

    @Test
    void aFormEndpointWithoutAForm_says_toSendMultipart() throws Exception {
        for (String contentType : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/mixed; boundary=x"}) {
            HttpResponse<String> response = postRaw("/v1/images/variations", contentType, bytes("n=1"));

            assertOpenAiError(response, 400, null, "unsupported_content_type");
            assertThat(JSON.readTree(response.body()).at("/error/message").asText()).as(contentType).contains("multipart/form-data");
        }
        // Without a Content-Type there is no form to read, so no image either.
        assertOpenAiError(postRaw("/v1/images/variations", null, bytes("n=1")), 400, "image", "missing_required_parameter");
    }

    @Test
    void imageEncoderRejectingTheImage_is400_onImage() throws Exception {
        HttpResponse<String> response = post(new Form().file("image", "x.png", "image/png", png(11, 11)));
        assertOpenAiError(response, 400, "image", "invalid_value");
        assertThat(response.body()).contains("images[0] cannot be decoded");
    }

    @Test
    void familyWithoutImageEncoder_is400_unsupportedOperation() throws Exception {
        HttpResponse<String> response = post(new Form().file("image", "x.png", "image/png", png(13, 13)));
        assertOpenAiError(response, 400, null, "unsupported_operation");
        assertThat(response.body()).contains("no image encoder").doesNotContain("shapes-untrained");
    }

    // ------------------------------------------------------------------ edits

    @Test
    void edits_areRefused_withAnOpenAiError() throws Exception {
        HttpResponse<String> response =
                post("/v1/images/edits", new Form().file("image", "in.png", "image/png", png(8, 8)).field("prompt", "a red circle"), Map.of());
        assertOpenAiError(response, 400, null, "unsupported_operation");
        assertThat(response.body()).contains("inpaint");
    }
}
