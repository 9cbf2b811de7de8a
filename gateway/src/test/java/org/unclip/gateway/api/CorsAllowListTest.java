package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * With CORS on ({@code quarkus.http.cors.enabled}) the origins of {@code quarkus.http.cors.origins}
 * may call the API (Quarkus answers their preflights and adds the CORS headers); every other
 * origin still gets the 403 {@code cross_origin_refused} in the OpenAI shape, not Quarkus's empty one.
 */
@QuarkusTest
@TestProfile(ApiKeysTest.WithKeys.class)
@QuarkusTestResource(FakeStagesResource.class)
class CorsAllowListTest {

    static final String ALLOWED = "https://app.example.com";
    static final String ALLOWED_PATTERN = "/https://[a-z]+\\.apps\\.example\\.org/";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    private HttpResponse<String> submit(String origin) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                        .header("Origin", origin)
                        .header("Authorization", "Bearer sk-first")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a red circle\",\"size\":\"64x64\",\"previews\":false}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> preflight(String origin) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                        .header("Origin", origin)
                        .header("Access-Control-Request-Method", "POST")
                        .header("Access-Control-Request-Headers", "authorization,content-type")
                        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anAllowedOrigin_getsItsPreflight_andItsJob_withTheCorsHeaders() throws Exception {
        for (String origin : new String[] {ALLOWED, "https://one.apps.example.org"}) {
            HttpResponse<String> preflight = preflight(origin);
            assertThat(preflight.statusCode()).as("%s: %s", origin, preflight.body()).isEqualTo(200);
            assertThat(preflight.headers().firstValue("access-control-allow-origin")).hasValue(origin);
            assertThat(preflight.headers().firstValue("access-control-allow-methods").orElse("")).contains("POST");

            HttpResponse<String> job = submit(origin);
            assertThat(job.statusCode()).as("%s: %s", origin, job.body()).isEqualTo(202);
            assertThat(job.headers().firstValue("access-control-allow-origin")).hasValue(origin);
        }
    }

    @Test
    void anyOtherOrigin_isStillRefused_inTheOpenAiShape() throws Exception {
        for (String origin : new String[] {"https://evil.example", "http://app.example.com", "https://app.example.com.evil.example",
                "https://x.apps.example.org.evil.example"}) {
            for (HttpResponse<String> response : new HttpResponse[] {submit(origin), preflight(origin)}) {
                assertThat(response.statusCode()).as("%s: %s", origin, response.body()).isEqualTo(403);
                assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("cross_origin_refused");
                assertThat(response.headers().firstValue("access-control-allow-origin")).isEmpty();
            }
        }
    }
}
