package org.unclip.gateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Karlo's shape through the whole mesh: {@code training/export_karlo.py --karlo-shaped} writes a
 * Karlo checkpoint (Karlo's folders and key names, 77 tokens, 768-d embeddings, text width 768,
 * a 64 px decoder with a 1536-wide context and a 1280-wide time embedding, a 64 → 256 upsampler
 * with first and last graphs; thin layers, seeded random weights), exports it with the exporter's
 * own code (graphs over 8 MB of weights as external data, a CLIP-format BPE tokenizer.json,
 * parity.json from the PyTorch reference), and the four services serve it as separate processes.
 * The image must be the PyTorch reference's, the same seed must give the same bytes, and the
 * family being text-only, a variation is a clear 400.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KarloShapedIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /** FamilyParityTest's rule for final images: at most one 8-bit level off, on at most 2 % of values. */
    private static final int MAX_LEVELS = 1;
    private static final double MAX_LEVEL_FRACTION = 0.02;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path family;
    private JsonNode parity;
    private Mesh mesh;

    @BeforeAll
    void exportAndStart() throws Exception {
        Path root = Path.of(System.getProperty("unclip.root", "..")).toAbsolutePath().normalize();
        family = root.resolve("gateway/target/karlo-shaped");
        Path log = root.resolve("gateway/target/karlo-shaped-export.log");
        Files.createDirectories(log.getParent());
        Process export = new ProcessBuilder("/usr/bin/python3", "training/export_karlo.py", "--karlo-shaped",
                "--seed", "0", "--family-dir", family.toString(), "--external-data-over", "8000000")
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(export.waitFor(10, TimeUnit.MINUTES)).as("export_karlo.py finished; log %s", log).isTrue();
        assertThat(export.exitValue()).as("export_karlo.py exit code (needs /usr/bin/python3 with torch and onnx; log %s)",
                log).isZero();
        System.out.println("karlo-shaped export: " + Files.readAllLines(log).get(Files.readAllLines(log).size() - 1));
        parity = JSON.readTree(family.resolve("parity.json").toFile());
        mesh = Mesh.start(root, family);
    }

    @AfterAll
    void stop() {
        if (mesh != null) {
            for (String p : List.of("text-encoder-svc", "prior-svc", "decoder-svc", "gateway")) {
                System.out.printf("karlo-shaped mesh: %s peak resident memory %d MiB%n", p, mesh.peakResidentKib(p) / 1024);
            }
            mesh.close();
        }
    }

    private HttpResponse<String> generate(long seed) throws Exception {
        JsonNode settings = parity.get("settings");
        String body = JSON.createObjectNode()
                .put("prompt", settings.get("prompts").get(0).asText())
                .put("seed", seed)
                .put("size", "256x256")
                .put("response_format", "b64_json")
                .put("prior_steps", settings.at("/prior/steps").asInt())
                .put("prior_guidance_scale", settings.at("/prior/guidance").asDouble())
                .put("decoder_steps", settings.at("/decoder/steps").asInt())
                .put("decoder_guidance_scale", settings.at("/decoder/guidance").asDouble())
                .put("upsampler_steps", settings.at("/upsamplers/0/steps").asInt())
                .toString();
        return http.send(HttpRequest.newBuilder(mesh.uri("/v1/images/generations"))
                        .timeout(Duration.ofMinutes(5))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] png(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Base64.getDecoder().decode(JSON.readTree(response.body()).at("/data/0/b64_json").asText());
    }

    @Test
    void aPromptGivesThePyTorchReferencesImageAndTheSameBytesAgain() throws Exception {
        long seed = parity.at("/settings/seeds/0").asLong();
        byte[] first = png(generate(seed));
        assertThat(first).startsWith(PNG_SIGNATURE);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(first));
        assertThat(image.getWidth()).isEqualTo(256);
        assertThat(image.getHeight()).isEqualTo(256);

        BufferedImage reference = ImageIO.read(new ByteArrayInputStream(
                Base64.getDecoder().decode(parity.at("/sr_256/png_base64/0").asText())));
        int worst = 0;
        int off = 0;
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                int a = image.getRGB(x, y);
                int b = reference.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    int d = Math.abs(((a >> shift) & 0xff) - ((b >> shift) & 0xff));
                    worst = Math.max(worst, d);
                    off += d > 0 ? 1 : 0;
                }
            }
        }
        System.out.printf("karlo-shaped vs PyTorch: max %d levels, %d of %d values off%n", worst, off, 3 * 256 * 256);
        assertThat(worst).as("max 8-bit difference to the PyTorch reference").isLessThanOrEqualTo(MAX_LEVELS);
        assertThat(off / (3.0 * 256 * 256)).as("fraction of values off").isLessThanOrEqualTo(MAX_LEVEL_FRACTION);
        // not a flat image: the reference has structure, so matching it means something
        assertThat(distinctColours(image)).isGreaterThan(100);

        assertThat(png(generate(seed))).as("the same seed again").isEqualTo(first);
        assertThat(png(generate(seed + 1))).as("another seed").isNotEqualTo(first);
    }

    @Test
    void variationsAreRefusedClearlyByATextOnlyFamily() throws Exception {
        BufferedImage square = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(square, "png", png);
        String boundary = "karlo" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.write(png.toByteArray());
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(mesh.uri("/v1/images/variations"))
                        .timeout(Duration.ofMinutes(2))
                        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("unsupported_operation");
    }

    private static int distinctColours(BufferedImage image) {
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
