package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * {@code /q/openapi} of a server configured away from the defaults: the limits it documents are
 * the ones its parsers enforce, and the API key it requires is a required security scheme.
 */
@QuarkusTest
@TestProfile(OpenApiConfiguredTest.Configured.class)
@QuarkusTestResource(FakeStagesResource.class)
class OpenApiConfiguredTest {

    public static class Configured implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "unclip.api.keys", "sk-docs",
                    "unclip.api.max-images", "4",
                    "unclip.api.max-frames", "6",
                    "unclip.api.max-prompt-length", "300",
                    "unclip.api.sizes", "64x64",
                    "unclip.api.default-response-format", "url",
                    "unclip.api.max-body-size", "32K",
                    "quarkus.http.limits.max-body-size", "8M");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    private JsonNode doc;

    @BeforeEach
    void fetch() throws Exception {
        // Like /q/health, the description is open even when keys are required.
        HttpResponse<String> response =
                HTTP.send(HttpRequest.newBuilder(base.resolve("/q/openapi?format=json")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        doc = JSON.readTree(response.body());
    }

    private JsonNode schema(String name) {
        JsonNode schema = doc.path("components").path("schemas").path(name);
        assertThat(schema.isMissingNode()).as(name).isFalse();
        return schema.path("properties");
    }

    @Test
    void documentedLimits_areTheConfiguredOnes() {
        for (String name : new String[] {"CreateImageRequest", "CreateImageVariationRequest", "CreateVariationJobRequest"}) {
            JsonNode properties = schema(name);
            assertThat(properties.path("n").path("maximum").asInt()).as(name).isEqualTo(4);
            assertThat(properties.path("size").path("enum")).as(name).extracting(JsonNode::asText).containsExactly("64x64");
            assertThat(properties.path("size").path("default").asText()).as(name).isEqualTo("64x64");
        }
        assertThat(schema("CreateImageRequest").path("prompt").path("maxLength").asInt()).isEqualTo(300);
        assertThat(schema("CreateImageRequest").path("response_format").path("default").asText()).isEqualTo("url");
        for (String name : new String[] {"CreateImageInterpolationRequest", "CreateImageTextDiffRequest"}) {
            assertThat(schema(name).path("frames").path("maximum").asInt()).as(name).isEqualTo(6);
            assertThat(schema(name).path("size").path("enum")).as(name).extracting(JsonNode::asText).containsExactly("64x64");
        }
        assertThat(schema("CreateImageTextDiffRequest").path("to_text").path("maxLength").asInt()).isEqualTo(300);
        assertThat(schema("EmbeddingSource").path("prompt").path("maxLength").asInt()).isEqualTo(300);
        JsonNode generationTooLarge = doc.at("/paths/~1v1~1images~1generations/post/responses/413");
        assertThat(generationTooLarge.path("description").asText()).contains(Long.toString(32L << 10)).contains("32 KiB")
                .contains("unclip.api.max-body-size");
        // The image endpoints' 16M is more than Quarkus's overall limit, which then applies.
        JsonNode interpolationTooLarge = doc.at("/paths/~1v1~1images~1interpolations/post/responses/413");
        assertThat(interpolationTooLarge.path("description").asText()).contains(Long.toString(8L << 20)).contains("8 MiB")
                .contains("quarkus.http.limits.max-body-size");
    }

    @Test
    void theDocumentedLimits_areEnforced() throws Exception {
        HttpResponse<String> response =
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                                .header("Authorization", "Bearer sk-docs")
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a red circle\",\"n\":5}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("integer_above_max_value");
        assertThat(JSON.readTree(response.body()).at("/error/message").asText()).contains("<= 4");
    }

    @Test
    void withKeysConfigured_theBearerKeyIsRequired_onV1ButNotOnStoredImages() {
        JsonNode scheme = doc.at("/components/securitySchemes/ApiKey");
        assertThat(scheme.path("type").asText()).isEqualTo("http");
        assertThat(scheme.path("scheme").asText()).isEqualTo("bearer");
        assertThat(scheme.path("description").asText()).contains("requires");
        JsonNode security = doc.at("/paths/~1v1~1jobs/post/security");
        assertThat(security).hasSize(1);
        assertThat(security.get(0).has("ApiKey")).isTrue();
        assertThat(doc.at("/paths/~1v1~1images~1results~1{job}~1{index}.png/get").has("security")).isFalse();
    }
}
