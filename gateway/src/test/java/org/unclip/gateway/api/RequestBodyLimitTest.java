package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * A request body over its endpoint's limit is refused with an OpenAI-shaped 413, whether the body
 * announces its length or is sent in chunks, as JSON or as a form: {@code unclip.api.max-body-size}
 * for generations, {@code unclip.api.max-image-body-size} for the endpoints that take images.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class RequestBodyLimitTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    @Inject
    GatewayConfig config;

    private long plainLimit() {
        return config.api().maxBodySize().asLongValue();
    }

    private long imageLimit() {
        return config.api().maxImageBodySize().asLongValue();
    }

    /** A JSON body of {@code size} bytes: a prompt that is too long anyway, but the size comes first. */
    private static byte[] json(long size) {
        byte[] body = new byte[(int) size];
        Arrays.fill(body, (byte) 'a');
        byte[] head = "{\"prompt\":\"".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, body, 0, head.length);
        body[body.length - 2] = '"';
        body[body.length - 1] = '}';
        return body;
    }

    /** An interpolation whose image is {@code size} bytes of base64 that is no PNG. */
    private static byte[] interpolation(int size) {
        return ("{\"type\":\"interpolation\",\"from\":{\"image\":\"" + "A".repeat(size) + "\"},\"to\":{\"prompt\":\"a red circle\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static HttpRequest.BodyPublisher chunked(byte[] body) {
        // An input stream of unknown length goes out without Content-Length.
        return HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));
    }

    private HttpResponse<String> post(HttpClient client, String path, HttpRequest.BodyPublisher body) throws Exception {
        return client.send(
                HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json").POST(body).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertTooLarge(HttpResponse<String> response, long limit, String setting) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("request_too_large");
        assertThat(error.get("param").isNull()).isTrue();
        assertThat(error.get("message").asText()).contains(Long.toString(limit) + " bytes").contains(setting);
    }

    private static void assertNotTooLarge(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isNotEqualTo("request_too_large");
    }

    @Test
    void theDefaults_giveGenerationsKilobytes_andTheImageEndpointsMegabytes() {
        assertThat(plainLimit()).isEqualTo(64 * 1024);
        assertThat(imageLimit()).isEqualTo(16 * 1024 * 1024);
    }

    @Test
    void aGenerationBodyOverItsLimit_withContentLength_is413InTheOpenAiShape() throws Exception {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                                .header("Content-Type", "application/json")
                                .header("x-request-id", "too-large-1")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(json(plainLimit() + 1)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertTooLarge(response, plainLimit(), "unclip.api.max-body-size");
        assertThat(response.headers().firstValue("x-request-id")).hasValue("too-large-1");
        assertThat(JSON.readTree(response.body()).at("/error/message").asText())
                .contains("POST /v1/images/generations").doesNotContain("PNG");
    }

    @Test
    void aChunkedGenerationBodyOverItsLimit_is413() throws Exception {
        assertTooLarge(post(HTTP, "/v1/images/generations", chunked(json(plainLimit() + 1))), plainLimit(), "unclip.api.max-body-size");
    }

    @Test
    void aGenerationBodyAtItsLimit_isRead() throws Exception {
        // The prompt is too long: the parser has read the body.
        HttpResponse<String> response = post(HTTP, "/v1/images/generations", HttpRequest.BodyPublishers.ofByteArray(json(plainLimit())));

        assertNotTooLarge(response);
        assertThat(JSON.readTree(response.body()).at("/error/param").asText()).isEqualTo("prompt");
    }

    @Test
    void theImageEndpoints_takeBodiesOverTheSmallLimit() throws Exception {
        int size = (int) plainLimit() * 3;
        // Read and refused for what they say (the base64 is no PNG), not for their size.
        assertNotTooLarge(post(HTTP, "/v1/jobs", HttpRequest.BodyPublishers.ofByteArray(interpolation(size))));
        assertNotTooLarge(post(HTTP, "/v1/jobs", chunked(interpolation(size))));
        assertNotTooLarge(post(HTTP, "/v1/images/interpolations", HttpRequest.BodyPublishers.ofByteArray(interpolation(size))));
        assertNotTooLarge(post(HTTP, "/v1/images/text_diffs", chunked(interpolation(size))));
        // The same body to the generations endpoint is over its limit.
        assertTooLarge(
                post(HTTP, "/v1/images/generations", HttpRequest.BodyPublishers.ofByteArray(interpolation(size))),
                plainLimit(),
                "unclip.api.max-body-size");
    }

    @Test
    void aChunkedJobBodyOverTheImageLimit_is413() throws Exception {
        HttpResponse<String> response = post(HTTP, "/v1/jobs", chunked(json(imageLimit() + 1024)));

        assertTooLarge(response, imageLimit(), "unclip.api.max-image-body-size");
        assertThat(JSON.readTree(response.body()).at("/error/message").asText()).contains("4 MB");
    }

    @Test
    void multipartVariationOverTheLimit_is413InTheOpenAiShape() throws Exception {
        VariationsResourceTest.Form form =
                new VariationsResourceTest.Form()
                        .field("n", "1")
                        .file("image", "huge.png", "image/png", new byte[(int) imageLimit() + 1024]);

        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/variations"))
                                .header("Content-Type", "multipart/form-data; boundary=" + form.boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertTooLarge(response, imageLimit(), "unclip.api.max-image-body-size");
    }

    @Test
    void chunkedMultipartVariationOverTheLimit_is413InTheOpenAiShape() throws Exception {
        VariationsResourceTest.Form form =
                new VariationsResourceTest.Form()
                        .file("image", "huge.png", "image/png", new byte[(int) imageLimit() + 1024]);
        byte[] body = form.bytes();

        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/variations"))
                                .header("Content-Type", "multipart/form-data; boundary=" + form.boundary)
                                .POST(chunked(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertTooLarge(response, imageLimit(), "unclip.api.max-image-body-size");
    }

    @Test
    void http2BodiesWithoutALength_areCheckedByTheEndpoint() throws Exception {
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(5)).build();
        // The first request upgrades the connection (h2c); the next ones are HTTP/2 streams on it.
        HttpResponse<String> upgrade =
                h2.send(HttpRequest.newBuilder(base.resolve("/q/health/live")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upgrade.version()).isEqualTo(HttpClient.Version.HTTP_2);

        HttpResponse<String> tooLarge = post(h2, "/v1/images/generations", chunked(json(plainLimit() + 1)));
        assertThat(tooLarge.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertTooLarge(tooLarge, plainLimit(), "unclip.api.max-body-size");
        assertNotTooLarge(post(h2, "/v1/images/generations", chunked(json(plainLimit()))));
        assertNotTooLarge(post(h2, "/v1/jobs", chunked(interpolation((int) plainLimit() * 3))));
        // An empty body: the endpoint's own 400, not a 500 from taking over a finished request.
        HttpResponse<String> empty = post(h2, "/v1/images/generations", HttpRequest.BodyPublishers.noBody());
        assertNotTooLarge(empty);
        assertThat(JSON.readTree(empty.body()).at("/error/message").asText()).contains("empty");
    }

    @Test
    void chunkedBodiesUnderTheLimit_areReadAsUsual_jsonAndMultipart() throws Exception {
        byte[] json = "{\"prompt\":\"\"}".getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> generation =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(json)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(generation.statusCode()).as(generation.body()).isEqualTo(400);
        assertThat(JSON.readTree(generation.body()).at("/error/param").asText()).isEqualTo("prompt");

        VariationsResourceTest.Form form =
                new VariationsResourceTest.Form().field("n", "1").file("image", "wide.png", "image/png", VariationsResourceTest.png(16, 8));
        byte[] formBytes = form.bytes();
        HttpResponse<String> variation =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/variations"))
                                .header("Content-Type", "multipart/form-data; boundary=" + form.boundary)
                                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(formBytes)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        // The form was parsed: the image was read and found not square.
        assertThat(variation.statusCode()).as(variation.body()).isEqualTo(400);
        assertThat(JSON.readTree(variation.body()).at("/error/code").asText()).isEqualTo("invalid_image_dimensions");
    }

    @Test
    void aBodyUnderTheLimit_isReadAsUsual() throws Exception {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/param").asText()).isEqualTo("prompt");
    }
}
