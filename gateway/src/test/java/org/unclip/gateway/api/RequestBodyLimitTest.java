package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * A request body over {@code quarkus.http.limits.max-body-size} is refused with an OpenAI-shaped
 * 413, whether the body announces its length or is sent in chunks, as JSON or as a form.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class RequestBodyLimitTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    @ConfigProperty(name = "quarkus.http.limits.max-body-size")
    MemorySize limit;

    /** A JSON body just over the limit: a prompt that is too long anyway, but the size comes first. */
    private byte[] oversizedJson() {
        byte[] body = new byte[(int) limit.asLongValue() + 1024];
        Arrays.fill(body, (byte) 'a');
        byte[] head = "{\"prompt\":\"".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, body, 0, head.length);
        body[body.length - 2] = '"';
        body[body.length - 1] = '}';
        return body;
    }

    private void assertTooLarge(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("request_too_large");
        assertThat(error.get("param").isNull()).isTrue();
        assertThat(error.get("message").asText()).contains(Long.toString(limit.asLongValue())).contains("max-body-size");
    }

    @Test
    void jsonBodyOverTheLimit_withContentLength_is413InTheOpenAiShape() throws Exception {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                                .header("Content-Type", "application/json")
                                .header("x-request-id", "too-large-1")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(oversizedJson()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertTooLarge(response);
        assertThat(response.headers().firstValue("x-request-id")).hasValue("too-large-1");
    }

    @Test
    void chunkedJsonBodyOverTheLimit_is413InTheOpenAiShape() throws Exception {
        byte[] body = oversizedJson();
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                                .header("Content-Type", "application/json")
                                // An input stream of unknown length goes out chunked, without Content-Length.
                                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertTooLarge(response);
    }

    @Test
    void multipartVariationOverTheLimit_is413InTheOpenAiShape() throws Exception {
        VariationsResourceTest.Form form =
                new VariationsResourceTest.Form()
                        .field("n", "1")
                        .file("image", "huge.png", "image/png", new byte[(int) limit.asLongValue() + 1024]);

        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/variations"))
                                .header("Content-Type", "multipart/form-data; boundary=" + form.boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertTooLarge(response);
    }

    @Test
    void chunkedMultipartVariationOverTheLimit_is413InTheOpenAiShape() throws Exception {
        VariationsResourceTest.Form form =
                new VariationsResourceTest.Form()
                        .file("image", "huge.png", "image/png", new byte[(int) limit.asLongValue() + 1024]);
        byte[] body = form.bytes();

        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/variations"))
                                .header("Content-Type", "multipart/form-data; boundary=" + form.boundary)
                                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertTooLarge(response);
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
