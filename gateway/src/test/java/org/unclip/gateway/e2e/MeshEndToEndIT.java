package org.unclip.gateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.unclip.gateway.shapes.ShapesJudge;

/**
 * Prompt in, PNG out: the four services as separate processes, real HTTP, real gRPC between
 * them, the real Redis stream in the middle and the shipped model family.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeshEndToEndIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The first 24 prompts of {@link #imagesShowWhatThePromptsSay} name one object, the other 8 two. */
    private static final int ONE_OBJECT_PROMPTS = 24;
    /** At least this many of the 24 one-object images fully right (24 measured). */
    private static final int MIN_ONE_OBJECT_RIGHT = 23;
    /** At least this many of the 8 two-object images fully right (8 measured). */
    private static final int MIN_TWO_OBJECTS_RIGHT = 7;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Mesh mesh;

    @BeforeAll
    void startMesh() throws Exception {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        Path family = root.resolve(System.getProperty("unclip.test.family", "models/shapes-tiny"));
        assertThat(family.resolve("family.json")).as("model family for the end-to-end test").exists();
        mesh = Mesh.start(root, family);
    }

    @AfterAll
    void stopMesh() {
        if (mesh != null) {
            mesh.close();
        }
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("imageCounts")
    void generatesValid256PixelPngs(int n) throws Exception {
        HttpResponse<String> response =
                post(
                        """
                        {"prompt": "a large red circle in the center on a blue background",
                          "n": %d, "size": "256x256", "response_format": "b64_json"}
                        """
                                .formatted(n));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("created").asLong()).isPositive();
        assertThat(body.get("data")).hasSize(n);
        for (JsonNode item : body.get("data")) {
            byte[] png = Base64.getDecoder().decode(item.get("b64_json").asText());
            assertThat(png).startsWith(PNG_SIGNATURE);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(image).isNotNull();
            assertThat(image.getWidth()).isEqualTo(256);
            assertThat(image.getHeight()).isEqualTo(256);
        }
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
    }

    static Stream<Integer> imageCounts() {
        return Stream.of(1, 2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clientMistakes")
    void clientMistakesGetOpenAiErrors(String what, String body, String param) throws Exception {
        HttpResponse<String> response = post(body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        if (param != null) {
            assertThat(error.get("param").asText()).isEqualTo(param);
        }
    }

    static Stream<Arguments> clientMistakes() {
        return Stream.of(
                Arguments.of("missing prompt", "{\"n\": 1}", "prompt"),
                Arguments.of("empty prompt", "{\"prompt\": \"   \"}", "prompt"),
                Arguments.of("n = 0", "{\"prompt\": \"a red circle\", \"n\": 0}", "n"),
                Arguments.of("n = 11", "{\"prompt\": \"a red circle\", \"n\": 11}", "n"),
                Arguments.of("size", "{\"prompt\": \"a red circle\", \"size\": \"300x300\"}", "size"),
                Arguments.of("malformed JSON", "{\"prompt\": \"a red circle\"", null));
    }

    @Test
    void sameSeedGivesSameImage() throws Exception {
        String body =
                """
                {"prompt": "a small green triangle on the left on a white background",
                  "seed": 1234, "response_format": "b64_json"}
                """;
        JsonNode first = JSON.readTree(post(body).body());
        JsonNode second = JSON.readTree(post(body).body());
        assertThat(first.get("data").get(0).get("b64_json").asText())
                .isEqualTo(second.get("data").get(0).get("b64_json").asText());
    }

    @Test
    void anImageIsTheSameWhateverElseIsInTheBatch() throws Exception {
        String prompt = "a large purple square at the top on a yellow background";
        JsonNode four = JSON.readTree(post("""
                {"prompt": "%s", "n": 4, "seed": 99, "response_format": "b64_json"}
                """.formatted(prompt)).body());
        JsonNode one = JSON.readTree(post("""
                {"prompt": "%s", "n": 1, "seed": 99, "response_format": "b64_json"}
                """.formatted(prompt)).body());

        assertThat(four.get("data")).hasSize(4);
        assertThat(four.get("data").get(0).get("seed").asLong()).isEqualTo(99L);
        assertThat(four.get("data").get(0).get("b64_json").asText())
                .isEqualTo(one.get("data").get(0).get("b64_json").asText());
        assertThat(four.get("data").get(1).get("b64_json").asText())
                .isNotEqualTo(four.get("data").get(0).get("b64_json").asText());
    }

    @Test
    void interpolationFramesAreValidPngs_andTheFirstFrameIsDeterministic() throws Exception {
        String body =
                """
                {"from": {"prompt": "a large red circle in the center on a blue background"},
                  "to": {"prompt": "a large yellow square in the center on a black background"},
                  "frames": %d, "seed": 321, "size": "64x64", "response_format": "b64_json"}
                """;
        HttpResponse<String> three = post("/v1/images/interpolations", body.formatted(3));
        assertThat(three.statusCode()).as(three.body()).isEqualTo(200);
        JsonNode frames = JSON.readTree(three.body()).get("data");
        assertThat(frames).hasSize(3);
        double[] thetas = {0, 0.5, 1};
        for (int i = 0; i < 3; i++) {
            JsonNode frame = frames.get(i);
            assertThat(frame.get("theta").asDouble()).isEqualTo(thetas[i]);
            assertThat(frame.get("seed").asLong()).isEqualTo(321L);
            byte[] png = Base64.getDecoder().decode(frame.get("b64_json").asText());
            assertThat(png).startsWith(PNG_SIGNATURE);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertThat(image.getWidth()).isEqualTo(64);
            assertThat(image.getHeight()).isEqualTo(64);
        }
        assertThat(frames.get(0).get("b64_json").asText()).isNotEqualTo(frames.get(2).get("b64_json").asText());

        // Frame 0 is the first prompt's prior sample decoded with the seed: the same again, even
        // in a request with fewer frames.
        HttpResponse<String> two = post("/v1/images/interpolations", body.formatted(2));
        assertThat(two.statusCode()).as(two.body()).isEqualTo(200);
        assertThat(JSON.readTree(two.body()).get("data").get(0).get("b64_json").asText())
                .isEqualTo(frames.get(0).get("b64_json").asText());
    }

    /**
     * The shipped family draws what the prompts say, judged by the project's Shapes-world checker:
     * one image per prompt (fixed seeds; 24 one-object prompts with 9 circles, 8 squares and 7
     * triangles, then 8 two-object prompts), every one with the right background, colours, size,
     * position and relation, and nearly all right in every attribute (the counts above; the
     * family's README reports the full evaluation on 630 held-out prompts).
     */
    @Test
    void imagesShowWhatThePromptsSay() throws Exception {
        List<String> prompts = List.of(
                "a large red circle in the center on a blue background",
                "a small yellow square on the left on a black background",
                "a large green triangle at the bottom on a white background",
                "a small white circle at the top on a purple background",
                "a large blue square on the right on a orange background",
                "a small orange triangle in the center on a green background",
                "a large black circle on the left on a yellow background",
                "a small purple square at the bottom on a red background",
                "a large orange circle on the left on a green background",
                "a small green square at the top on a white background",
                "a small red triangle on the left on a purple background",
                "a large green circle on the left on a yellow background",
                "a large yellow square on the left on a red background",
                "a small green triangle in the center on a black background",
                "a small white circle on the left on a red background",
                "a large blue square on the right on a black background",
                "a large green triangle in the center on a purple background",
                "a small blue circle at the top on a red background",
                "a small green square in the center on a purple background",
                "a small red triangle at the bottom on a purple background",
                "a large white circle at the bottom on a black background",
                "a large black square on the right on a blue background",
                "a small blue triangle on the left on a orange background",
                "a large purple circle at the top on a black background",
                "a red circle to the left of a blue square on a white background",
                "a yellow triangle above a green circle on a black background",
                "a white square to the left of a purple triangle on a blue background",
                "a black circle above a orange square on a green background",
                "a blue triangle to the left of a red circle on a yellow background",
                "a green square above a white triangle on a red background",
                "a purple circle to the left of a yellow triangle on a black background",
                "a orange square above a blue circle on a white background");
        int oneObjectRight = 0;
        int twoObjectsRight = 0;
        List<String> report = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            String prompt = prompts.get(i);
            HttpResponse<String> response = post("""
                    {"prompt": "%s", "seed": %d, "size": "256x256", "response_format": "b64_json"}
                    """.formatted(prompt, 500 + i));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            byte[] png = Base64.getDecoder().decode(
                    JSON.readTree(response.body()).get("data").get(0).get("b64_json").asText());
            ShapesJudge.Verdict verdict = ShapesJudge.judge(ImageIO.read(new ByteArrayInputStream(png)), prompt);
            report.add(prompt + " -> " + verdict.checks() + " " + verdict.analysis());
            // everything but the shape is right nearly always (colour, size, position, relation
            // ~100 % in the family's evaluation); a shape is what the family still misses at times
            verdict.checks().forEach((check, right) -> {
                if (!check.equals("shape")) {
                    assertThat(right).as(check + ": " + report.get(report.size() - 1)).isTrue();
                }
            });
            if (verdict.ok()) {
                if (i < ONE_OBJECT_PROMPTS) {
                    oneObjectRight++;
                } else {
                    twoObjectsRight++;
                }
            }
        }
        System.out.printf("Shapes-world checker: %d of %d one-object and %d of %d two-object images fully right%n%s%n",
                oneObjectRight, ONE_OBJECT_PROMPTS, twoObjectsRight, prompts.size() - ONE_OBJECT_PROMPTS,
                String.join("\n", report));
        assertThat(oneObjectRight).as(String.join("\n", report)).isGreaterThanOrEqualTo(MIN_ONE_OBJECT_RIGHT);
        assertThat(twoObjectsRight).as(String.join("\n", report)).isGreaterThanOrEqualTo(MIN_TWO_OBJECTS_RIGHT);
    }

    private HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return post("/v1/images/generations", body);
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        HttpRequest request =
                HttpRequest.newBuilder(mesh.uri(path))
                        .timeout(Duration.ofMinutes(5))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 500) {
            try (Stream<Path> logs = Files.list(mesh.logs())) {
                logs.forEach(p -> System.err.println("see " + p));
            }
        }
        return response;
    }
}
