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
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;

/** With {@code unclip.api.keys} set, /v1 calls need one of the keys as a bearer token. */
@QuarkusTest
@TestProfile(ApiKeysTest.WithKeys.class)
@QuarkusTestResource(FakeStagesResource.class)
class ApiKeysTest {

    /** Keys, and CORS for a web app of another origin (see {@link CorsAllowListTest}), as a public gateway might have. */
    public static class WithKeys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "unclip.api.keys", "sk-first,sk-second",
                    "quarkus.http.cors.enabled", "true",
                    "quarkus.http.cors.origins", CorsAllowListTest.ALLOWED + "," + CorsAllowListTest.ALLOWED_PATTERN);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    private HttpResponse<String> generate(String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/v1/images/generations"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"\"}"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aMissingKeyIs401InOpenAiShape() throws Exception {
        HttpResponse<String> response = generate(null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asText()).contains("didn't provide an API key");
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
    }

    @Test
    void aWrongKeyIs401() throws Exception {
        HttpResponse<String> response = generate("Bearer sk-third");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(response.body()).get("error").get("code").asText()).isEqualTo("invalid_api_key");
        assertThat(generate("Basic c2stZmlyc3Q6").statusCode()).isEqualTo(401);
    }

    @Test
    void anyConfiguredKeyGetsThrough() throws Exception {
        // Past authentication, the empty prompt is the request's own mistake: 400, not 401.
        assertThat(generate("Bearer sk-first").statusCode()).isEqualTo(400);
        assertThat(generate("bearer sk-second").statusCode()).isEqualTo(400);
    }

    @Test
    void healthAndStoredImagesNeedNoKey() throws Exception {
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(base.resolve("/q/health/live")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> image = HTTP.send(HttpRequest.newBuilder(
                        base.resolve("/v1/images/results/0123456789abcdef0123456789abcdef/0.png")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(image.statusCode()).isEqualTo(404);
    }
}
