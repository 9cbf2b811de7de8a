package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.unclip.gateway.jobs.Seeds;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;
import org.unclip.gateway.testing.TestRedis;

/**
 * The HTTP API end to end through the real Redis job queue, with fake stages behind it.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class ImagesResourceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestRedis testRedis;

    @TestHTTPResource("/")
    URI base;

    @ConfigProperty(name = "unclip.redis.key-prefix")
    String prefix;

    FakeStages stages;

    @BeforeAll
    static void connect() {
        testRedis = new TestRedis();
    }

    @AfterAll
    static void disconnect() {
        testRedis.close();
    }

    private static RedisCommands<String, String> redis() {
        return testRedis.sync();
    }

    // ------------------------------------------------------------------ helpers

    private HttpResponse<String> post(String body) throws Exception {
        return send(
                HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build());
    }

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static void assertOpenAiError(HttpResponse<String> response, int status, String type, String param, String messagePart)
            throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode error = json(response).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.has("message") && error.has("type") && error.has("param") && error.has("code")).as(response.body()).isTrue();
        assertThat(error.get("type").asText()).isEqualTo(type);
        if (param == null) {
            assertThat(error.get("param").isNull()).as(response.body()).isTrue();
        } else {
            assertThat(error.get("param").asText()).isEqualTo(param);
        }
        assertThat(error.get("message").asText()).contains(messagePart);
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    private static BufferedImage decodePng(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image).as("a readable PNG").isNotNull();
        return image;
    }

    // ------------------------------------------------------------------ success

    @Test
    void validRequest_returnsNImagesWithTheirSeeds_inTheOpenAiShape() throws Exception {
        long before = Instant.now().getEpochSecond();

        HttpResponse<String> response =
                post("{\"prompt\":\"a red circle on a white background\",\"n\":3,\"size\":\"64x64\",\"seed\":42,"
                        + "\"response_format\":\"b64_json\",\"model\":\"dall-e-2\",\"user\":\"tester\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode body = json(response);
        assertThat(body.get("created").asLong()).isBetween(before - 1, Instant.now().getEpochSecond());
        JsonNode data = body.get("data");
        assertThat(data).hasSize(3);
        long[] expectedSeeds = Seeds.forImages(42, 3);
        for (int i = 0; i < 3; i++) {
            JsonNode image = data.get(i);
            assertThat(image.has("url")).isFalse();
            assertThat(image.get("seed").asLong()).isEqualTo(expectedSeeds[i]);
            BufferedImage png = decodePng(Base64.getDecoder().decode(image.get("b64_json").asText()));
            assertThat(png.getWidth()).isEqualTo(64);
            assertThat(png.getHeight()).isEqualTo(64);
        }
        assertThat(expectedSeeds[0]).isEqualTo(42);
        assertThat(stages.lastTextRequest.getPromptsList()).containsExactly("a red circle on a white background");
        assertThat(stages.lastPriorRequest.getSeedsList()).containsExactly(expectedSeeds[0], expectedSeeds[1], expectedSeeds[2]);
        assertThat(stages.lastDecoderRequest.getSize()).isEqualTo(64);
    }

    @Test
    void withoutSeed_aSeedIsDrawn_andTheOthersDeriveFromIt() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"a green square\",\"n\":2,\"size\":\"64x64\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode data = json(response).get("data");
        long seed0 = data.get(0).get("seed").asLong();
        assertThat(seed0).isBetween(0L, Seeds.MAX_GENERATED_SEED);
        assertThat(data.get(1).get("seed").asLong()).isEqualTo(Seeds.derive(seed0, 1));
    }

    @Test
    void defaults_are256x256_oneImage_b64Json() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"a purple triangle\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode data = json(response).get("data");
        assertThat(data).hasSize(1);
        BufferedImage png = decodePng(Base64.getDecoder().decode(data.get(0).get("b64_json").asText()));
        assertThat(png.getWidth()).isEqualTo(256);
    }

    @Test
    void samplingOverrides_andRequestId_areForwardedToTheStages() throws Exception {
        HttpResponse<String> response =
                send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                                .header("Content-Type", "application/json")
                                .header("x-request-id", "client-chosen-id-1")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"prompt\":\"a white circle\",\"size\":\"64x64\",\"seed\":7,\"prior_steps\":5,"
                                                        + "\"decoder_steps\":6,\"upsampler_steps\":2,\"prior_guidance_scale\":4.5,"
                                                        + "\"decoder_guidance_scale\":2,\"preset\":\"quality\"}"))
                                .build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).hasValue("client-chosen-id-1");
        assertThat(stages.lastPriorRequest.getSteps()).isEqualTo(5);
        assertThat(stages.lastPriorRequest.getGuidanceScale()).isEqualTo(4.5f);
        assertThat(stages.lastPriorRequest.getRequestId()).isEqualTo("client-chosen-id-1");
        assertThat(stages.lastDecoderRequest.getDecoderSteps()).isEqualTo(6);
        assertThat(stages.lastDecoderRequest.getUpsamplerSteps()).isEqualTo(2);
        assertThat(stages.lastDecoderRequest.getGuidanceScale()).isEqualTo(2f);
        assertThat(stages.lastDecoderRequest.getRequestId()).isEqualTo("client-chosen-id-1");
        assertThat(stages.lastDecoderRequest.getSeedsList()).containsExactly(7L);
        assertThat(stages.lastPriorRequest.getPreset()).isEqualTo("quality");
        assertThat(stages.lastDecoderRequest.getPreset()).isEqualTo("quality");
    }

    @Test
    void urlResponseFormat_servesTheStoredPngs() throws Exception {
        HttpResponse<String> response =
                post("{\"prompt\":\"a yellow circle\",\"n\":2,\"size\":\"64x64\",\"response_format\":\"url\",\"seed\":5}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode data = json(response).get("data");
        for (int i = 0; i < 2; i++) {
            String url = data.get(i).get("url").asText();
            assertThat(data.get(i).has("b64_json")).isFalse();
            assertThat(url).startsWith(base.toString().replaceAll("/$", "")).endsWith("/" + i + ".png");
            HttpResponse<byte[]> image =
                    HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(image.statusCode()).isEqualTo(200);
            assertThat(image.headers().firstValue("content-type")).hasValue("image/png");
            assertThat(decodePng(image.body()).getWidth()).isEqualTo(64);
        }

        HttpResponse<String> missing =
                send(HttpRequest.newBuilder(base.resolve("/v1/images/results/0123456789abcdef0123456789abcdef/0.png")).build());
        assertOpenAiError(missing, 404, "invalid_request_error", null, "does not exist or has expired");
    }

    @Test
    void jobHash_streamEntry_andResult_areInRedis_withTtls() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"a black square\",\"n\":2,\"size\":\"64x64\",\"seed\":11}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        String jobId = response.headers().firstValue(ImagesResource.JOB_ID_HEADER).orElseThrow();

        Map<String, String> job = redis().hgetall(prefix + "job:" + jobId);
        assertThat(job)
                .containsEntry("id", jobId)
                .containsEntry("state", "succeeded")
                .containsEntry("n", "2")
                .containsEntry("attempts", "1")
                .containsEntry("request_id", response.headers().firstValue("x-request-id").orElseThrow())
                .containsKeys("spec", "created_at", "started_at", "finished_at", "worker", "stage", "step", "total_steps");
        assertThat(job.get("spec")).contains("\"prompt\":\"a black square\"").contains("\"seeds\":[11,");
        assertThat(redis().ttl(prefix + "job:" + jobId)).isBetween(1L, 3600L);
        assertThat(redis().ttl(prefix + "result:" + jobId)).isBetween(1L, 3600L);
        assertThat(redis().hget(prefix + "result:" + jobId, "count")).isEqualTo("2");
        assertThat(redis().hget(prefix + "result:" + jobId, "1:seed")).isEqualTo(Long.toString(Seeds.derive(11, 1)));

        List<StreamMessage<String, String>> entries = redis().xrange(prefix + "jobs", Range.create("-", "+"));
        assertThat(entries).anySatisfy(e -> assertThat(e.getBody()).containsEntry("job", jobId));

        // The entry is acknowledged once the job is recorded (just after the response may be sent).
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (redis().xpending(prefix + "jobs", "unclip-workers").getCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(redis().xpending(prefix + "jobs", "unclip-workers").getCount()).isZero();

        HttpResponse<String> status = send(HttpRequest.newBuilder(base.resolve("/v1/images/jobs/" + jobId)).build());
        assertThat(status.statusCode()).isEqualTo(200);
        JsonNode view = json(status);
        assertThat(view.get("state").asText()).isEqualTo("succeeded");
        assertThat(view.get("id").asText()).isEqualTo(jobId);
        assertThat(view.get("data")).hasSize(2);
        assertThat(view.get("data").get(1).get("seed").asLong()).isEqualTo(Seeds.derive(11, 1));
        assertThat(view.get("data").get(1).get("url").asText()).endsWith("/v1/images/results/" + jobId + "/1.png");
    }

    // ------------------------------------------------------------------ client mistakes

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of("{}", "prompt", "Missing required parameter: 'prompt'."),
                Arguments.of("{\"prompt\":\"\"}", "prompt", "the prompt is empty"),
                Arguments.of("{\"prompt\":\"" + "a".repeat(1001) + "\"}", "prompt", "maximum length 1000"),
                Arguments.of("{\"prompt\":\"x\",\"n\":0}", "n", "Expected a value >= 1"),
                Arguments.of("{\"prompt\":\"x\",\"n\":11}", "n", "Expected a value <= 10"),
                Arguments.of("{\"prompt\":\"x\",\"n\":\"three\"}", "n", "expected an integer"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"1024x1024\"}", "size", "'1024x1024' is not supported"),
                Arguments.of("{\"prompt\":\"x\",\"response_format\":\"jpeg\"}", "response_format", "'jpeg' is not supported"),
                Arguments.of("{\"prompt\":\"x\",\"colour\":\"red\"}", "colour", "Unrecognized request argument supplied: colour"),
                Arguments.of("{\"prompt\": \"x\"", null, "We could not parse the JSON body of your request"),
                Arguments.of("not json at all", null, "We could not parse the JSON body of your request"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badRequests")
    void badRequest_gets400_inTheOpenAiErrorShape(String body, String param, String message) throws Exception {
        assertOpenAiError(post(body), 400, "invalid_request_error", param, message);
    }

    @Test
    void wrongContentType_gets400() throws Exception {
        HttpResponse<String> response =
                send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                                .header("Content-Type", "text/plain")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\"}"))
                                .build());

        assertOpenAiError(response, 400, "invalid_request_error", null, "Unsupported Content-Type 'text/plain'");
    }

    @Test
    void unknownPaths_get404_andWrongMethods_get405_inTheSameShape() throws Exception {
        assertOpenAiError(
                send(HttpRequest.newBuilder(base.resolve("/v1/images/inpaintings")).POST(HttpRequest.BodyPublishers.ofString("{}")).build()),
                404, "invalid_request_error", null, "Invalid URL (POST /v1/images/inpaintings)");
        assertOpenAiError(
                send(HttpRequest.newBuilder(base.resolve("/nowhere")).build()), 404, "invalid_request_error", null, "Invalid URL (GET /nowhere)");
        assertOpenAiError(
                send(HttpRequest.newBuilder(base.resolve("/v1/images/generations")).build()),
                405, "invalid_request_error", null, "Method not allowed (GET /v1/images/generations)");
        assertOpenAiError(
                send(HttpRequest.newBuilder(base.resolve("/v1/images/jobs/not-a-job")).build()),
                404, "invalid_request_error", null, "No job 'not-a-job'");
    }

    // ------------------------------------------------------------------ stage failures

    @Test
    void stageInvalidArgument_maps_to400_withTheStagesDescription() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"a red square\",\"size\":\"64x64\",\"prior_steps\":500}");

        assertOpenAiError(response, 400, "invalid_request_error", "prior_steps", "steps must be in [2, 200], got 500");
    }

    @Test
    void textEncoderRejectingThePrompt_maps_to400_onPrompt() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"a unknown-word circle\",\"size\":\"64x64\"}");

        assertOpenAiError(response, 400, "invalid_request_error", "prompt", "outside the vocabulary");
    }

    @Test
    void unavailableStage_isRetried() throws Exception {
        int before = stages.textEncoderCalls.get();

        HttpResponse<String> response = post("{\"prompt\":\"a flaky blue circle\",\"size\":\"64x64\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(stages.textEncoderCalls.get() - before).isEqualTo(2);
    }

    @Test
    void stageThatStaysUnavailable_maps_to503() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"an offline circle\",\"size\":\"64x64\"}");

        assertOpenAiError(response, 503, "server_error", null, "The text-encoder stage is unavailable; try again shortly.");
        assertThat(json(response).get("error").get("code").asText()).isEqualTo("stage_unavailable");
        // What the stage said stays in the gateway's log.
        assertThat(response.body()).doesNotContain("UNAVAILABLE");
    }

    @Test
    void stageInternalError_maps_to502() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"a red circle\",\"size\":\"64x64\",\"decoder_guidance_scale\":99}");

        assertOpenAiError(response, 502, "server_error", null, "The decoder stage failed while processing the request.");
        assertThat(response.body()).doesNotContain("ONNX").doesNotContain("INTERNAL");
        String jobId = response.headers().firstValue(ImagesResource.JOB_ID_HEADER).orElseThrow();
        assertThat(redis().hgetall(prefix + "job:" + jobId))
                .containsEntry("state", "failed")
                .containsEntry("error_status", "502")
                .containsEntry("error_code", "stage_error");
    }

    @Test
    void decoderAnsweringTooFewImages_maps_to502() throws Exception {
        HttpResponse<String> response = post("{\"prompt\":\"a red circle\",\"n\":2,\"size\":\"64x64\",\"decoder_steps\":942}");

        assertOpenAiError(response, 502, "server_error", null, "The decoder stage failed while processing the request.");
        assertThat(response.body()).doesNotContain("returned 1 images");
    }

    // ------------------------------------------------------------------ operations

    @Test
    void health_reportsRedis() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(base.resolve("/q/health/ready")).build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode checks = json(response).get("checks");
        List<String> names = new ArrayList<>();
        checks.forEach(c -> names.add(c.get("name").asText() + "=" + c.get("status").asText()));
        assertThat(names).contains("redis=UP");
    }

    @Test
    void aClientThatHangsUpWhileWaiting_cancelsItsJob() throws Exception {
        int cancelledBefore = stages.priorCancellations.get();
        byte[] body = "{\"prompt\":\"a hung-up circle\",\"size\":\"64x64\",\"prior_steps\":150}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long hungUp;
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.getOutputStream().write(("POST /v1/images/generations HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(5).toNanos();
            while (stages.slowPriorCalls.get() == 0) {
                assertThat(System.nanoTime()).as("the job to reach the slow prior").isLessThan(deadline);
                Thread.sleep(10);
            }
            hungUp = System.nanoTime();
        }

        while (stages.priorCancellations.get() == cancelledBefore) {
            // the prior's own deadline would end the call only 5 s after it began
            assertThat(System.nanoTime() - hungUp).as("the job's prior call to be cancelled soon after the hang-up")
                    .isLessThan(java.time.Duration.ofMillis(2500).toNanos());
            Thread.sleep(10);
        }
    }
}
