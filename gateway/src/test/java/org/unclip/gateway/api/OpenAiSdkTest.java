package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.models.images.Image;
import com.openai.models.images.ImageCreateVariationParams;
import com.openai.models.images.ImageEditParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImageModel;
import com.openai.models.images.ImagesResponse;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.jobs.Seeds;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;
import org.unclip.gateway.testing.TestRedis;

/**
 * The gateway driven by the official OpenAI Java SDK ({@code com.openai:openai-java}), pointed at
 * the test port: what a real client sends must work, and what we answer must parse, errors
 * included.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class OpenAiSdkTest {

    @TestHTTPResource("/")
    URI base;

    @ConfigProperty(name = "unclip.redis.key-prefix")
    String prefix;

    @ConfigProperty(name = "unclip.jobs.max-queued")
    int maxQueued;

    FakeStages stages;

    private OpenAIClient client;

    @BeforeEach
    void connect() {
        client =
                OpenAIOkHttpClient.builder()
                        .baseUrl(base.resolve("/v1").toString())
                        .apiKey("unused")
                        .maxRetries(0)
                        .timeout(Duration.ofSeconds(30))
                        .build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    private static BufferedImage decode(byte[] png) throws IOException {
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image).isNotNull();
        return image;
    }

    private static long seed(Image image) {
        return ((Number) image._additionalProperties().get("seed").asNumber().orElseThrow()).longValue();
    }

    @Test
    void generate_b64Json_withNAbove1_andTheSeedExtension() throws Exception {
        ImagesResponse response =
                client.images()
                        .generate(
                                ImageGenerateParams.builder()
                                        .prompt("a red circle on a white background")
                                        .model(ImageModel.DALL_E_2)
                                        .n(2)
                                        .size(ImageGenerateParams.Size._256X256)
                                        .responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
                                        .putAdditionalBodyProperty("seed", JsonValue.from(42))
                                        .putAdditionalBodyProperty("decoder_steps", JsonValue.from(5))
                                        .build());

        assertThat(response.created()).isPositive();
        List<Image> data = response.data().orElseThrow();
        assertThat(data).hasSize(2);
        long[] seeds = Seeds.forImages(42, 2);
        for (int i = 0; i < 2; i++) {
            assertThat(data.get(i).url()).isEmpty();
            BufferedImage image = decode(Base64.getDecoder().decode(data.get(i).b64Json().orElseThrow()));
            assertThat(image.getWidth()).isEqualTo(256);
            assertThat(seed(data.get(i))).isEqualTo(seeds[i]);
        }
        assertThat(stages.lastDecoderRequest.getDecoderSteps()).isEqualTo(5);
    }

    @Test
    void generate_url_servesADownloadablePng() throws Exception {
        ImagesResponse response =
                client.images()
                        .generate(
                                ImageGenerateParams.builder()
                                        .prompt("a blue square")
                                        .size(ImageGenerateParams.Size.of("64x64"))
                                        .responseFormat(ImageGenerateParams.ResponseFormat.URL)
                                        .build());

        List<Image> data = response.data().orElseThrow();
        assertThat(data).hasSize(1);
        String url = data.get(0).url().orElseThrow();
        assertThat(data.get(0).b64Json()).isEmpty();
        HttpResponse<byte[]> png =
                HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(png.statusCode()).isEqualTo(200);
        assertThat(png.headers().firstValue("content-type")).hasValue("image/png");
        assertThat(decode(png.body()).getWidth()).isEqualTo(64);
    }

    @Test
    void createVariation_fromAPngFile() throws Exception {
        BufferedImage square = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        Path file = Files.createTempFile("variation-input", ".png");
        try {
            ImageIO.write(square, "png", file.toFile());
            int priorCalls = stages.priorCalls.get();

            ImagesResponse response =
                    client.images()
                            .createVariation(
                                    ImageCreateVariationParams.builder()
                                            .image(file)
                                            .model(ImageModel.DALL_E_2)
                                            .n(2)
                                            .size(ImageCreateVariationParams.Size._256X256)
                                            .responseFormat(ImageCreateVariationParams.ResponseFormat.B64_JSON)
                                            .putAdditionalBodyProperty("seed", JsonValue.from(7))
                                            .putAdditionalBodyProperty("decoder_steps", JsonValue.from(4))
                                            .build());

            List<Image> data = response.data().orElseThrow();
            assertThat(data).hasSize(2);
            long[] seeds = Seeds.forImages(7, 2);
            for (int i = 0; i < 2; i++) {
                assertThat(decode(Base64.getDecoder().decode(data.get(i).b64Json().orElseThrow())).getWidth()).isEqualTo(256);
                assertThat(seed(data.get(i))).isEqualTo(seeds[i]);
            }
            assertThat(stages.lastDecoderRequest.getDecoderSteps()).isEqualTo(4);
            assertThat(stages.lastImageRequest.getImages(0).toByteArray()).isEqualTo(Files.readAllBytes(file));
            assertThat(stages.priorCalls.get()).isEqualTo(priorCalls);
            assertThat(stages.lastDecoderRequest.hasText()).isFalse();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void createVariation_withUrlFormat_andImageBytes() throws Exception {
        BufferedImage square = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(square, "png", out);

        ImagesResponse response =
                client.images()
                        .createVariation(
                                ImageCreateVariationParams.builder()
                                        .image(out.toByteArray())
                                        .size(ImageCreateVariationParams.Size.of("64x64"))
                                        .responseFormat(ImageCreateVariationParams.ResponseFormat.URL)
                                        .build());

        String url = response.data().orElseThrow().get(0).url().orElseThrow();
        HttpResponse<byte[]> png =
                HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(decode(png.body()).getWidth()).isEqualTo(64);
    }

    @Test
    void invalidGeneration_throwsBadRequest_withOurMessageAndParam() {
        BadRequestException e =
                catchThrowableOfType(
                        BadRequestException.class,
                        () -> client.images().generate(ImageGenerateParams.builder().prompt("a red circle").n(11).build()));

        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.type()).hasValue("invalid_request_error");
        assertThat(e.param()).hasValue("n");
        assertThat(e.code()).hasValue("integer_above_max_value");
        assertThat(e.getMessage()).contains("integer above maximum value");
        assertThat(e.headers().values("x-request-id")).isNotEmpty();
    }

    @Test
    void invalidVariation_throwsBadRequest_onImage() throws Exception {
        BufferedImage wide = new BufferedImage(16, 8, BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(wide, "png", out);
        Path file = Files.createTempFile("variation-wide", ".png");
        try {
            Files.write(file, out.toByteArray());
            BadRequestException e =
                    catchThrowableOfType(
                            BadRequestException.class,
                            () -> client.images().createVariation(ImageCreateVariationParams.builder().image(file).build()));
            assertThat(e.param()).hasValue("image");
            assertThat(e.code()).hasValue("invalid_image_dimensions");
            assertThat(e.getMessage()).contains("square");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void edit_throwsBadRequest_unsupportedOperation() throws Exception {
        Path file = Files.createTempFile("edit-input", ".png");
        try {
            ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", file.toFile());
            BadRequestException e =
                    catchThrowableOfType(
                            BadRequestException.class,
                            () -> client.images().edit(ImageEditParams.builder().image(file).prompt("add a hat").build()));
            assertThat(e.code()).hasValue("unsupported_operation");
            assertThat(e.getMessage()).contains("inpaint");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aFullQueue_throwsTheSdksRateLimitException_withRetryAfter() {
        String queue = prefix + "queue";
        List<String> fillers = new java.util.ArrayList<>();
        long now = System.currentTimeMillis();
        try (TestRedis redis = new TestRedis()) {
            for (int i = 0; i < maxQueued; i++) {
                fillers.add("sdk-filler-" + i);
                redis.sync().zadd(queue, now, "sdk-filler-" + i);
            }
            try {
                RateLimitException e =
                        catchThrowableOfType(
                                RateLimitException.class,
                                () -> client.images().generate(ImageGenerateParams.builder().prompt("a red circle").build()));

                assertThat(e.statusCode()).isEqualTo(429);
                assertThat(e.type()).hasValue("requests");
                assertThat(e.code()).hasValue("rate_limit_exceeded");
                assertThat(e.getMessage()).contains("queue is full");
                assertThat(e.headers().values("retry-after")).singleElement().satisfies(v -> assertThat(Long.parseLong(v)).isPositive());
            } finally {
                redis.sync().zrem(queue, fillers.toArray(String[]::new));
            }
        }
    }

    @Test
    void aFailingStage_throwsTheSdks5xxException() {
        InternalServerException e =
                catchThrowableOfType(
                        InternalServerException.class,
                        () ->
                                client.images()
                                        .generate(
                                                ImageGenerateParams.builder()
                                                        .prompt("a red circle")
                                                        .size(ImageGenerateParams.Size.of("64x64"))
                                                        .putAdditionalBodyProperty("decoder_guidance_scale", JsonValue.from(99))
                                                        .build()));

        assertThat(e.statusCode()).isEqualTo(502);
        assertThat(e.type()).hasValue("server_error");
        assertThat(e.headers().values("x-request-id")).isNotEmpty();
    }
}
