package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * Without CORS configured (the default), a browser page of another origin cannot use the API: a
 * request with a foreign {@code Origin} is 403 {@code cross_origin_refused} and queues nothing,
 * whatever its Content-Type (forms and {@code text/plain} need no preflight). The gateway's own
 * origin, and clients that send no {@code Origin}, are served; JSON endpoints refuse bodies that
 * are not JSON instead of parsing them.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class CrossOriginTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    FakeStages stages;

    /** http://localhost:PORT, the origin of the gateway's own page as the tests reach it. */
    private String ownOrigin() {
        return base.getScheme() + "://" + base.getHost() + ":" + base.getPort();
    }

    private HttpResponse<String> post(String path, String origin, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (origin != null) {
            request.header("Origin", origin);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path, String origin) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(base.resolve(path)).header("Origin", origin).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] generation(String prompt) {
        return ("{\"prompt\":\"" + prompt + "\",\"size\":\"64x64\",\"previews\":false}").getBytes(StandardCharsets.UTF_8);
    }

    private static void assertRefused(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        assertThat(response.headers().firstValue("access-control-allow-origin")).isEmpty();
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asText()).isEqualTo("cross_origin_refused");
        assertThat(error.get("param").isNull()).isTrue();
    }

    private static void assertNotJson(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/code").asText()).isEqualTo("unsupported_content_type");
    }

    /**
     * True when a job with this prompt ran: the worker takes one job at a time, in order, so once a
     * later job has succeeded, any earlier one has reached the stages.
     */
    private boolean ran(String prompt) throws Exception {
        String marker = "a marker circle " + UUID.randomUUID();
        HttpResponse<String> later =
                post("/v1/images/generations", null, "application/json",
                        ("{\"prompt\":\"" + marker + "\",\"size\":\"64x64\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(later.statusCode()).as(later.body()).isEqualTo(200);
        assertThat(stages.prompts).contains(marker);
        return stages.prompts.contains(prompt);
    }

    @Test
    void aPageOfAnotherOrigin_cannotQueueJobs_withAnyContentType() throws Exception {
        String prompt = "a cross-site circle " + UUID.randomUUID();
        VariationsResourceTest.Form form =
                new VariationsResourceTest.Form().file("image", "in.png", "image/png", VariationsResourceTest.png(8, 8));
        for (String origin : List.of("https://evil.example", "null", "http://localhost:1", "http://localhost", "http://127.0.0.2:" + base.getPort())) {
            assertRefused(post("/v1/jobs", origin, "text/plain", generation(prompt)));
            assertRefused(post("/v1/jobs", origin, "application/json", generation(prompt)));
            assertRefused(post("/v1/jobs", origin, null, generation(prompt)));
            assertRefused(post("/v1/images/generations", origin, "application/x-www-form-urlencoded", generation(prompt)));
            assertRefused(post("/v1/images/variations", origin, "multipart/form-data; boundary=" + form.boundary, form.bytes()));
            assertRefused(post("/v1/jobs", origin, "multipart/form-data; boundary=" + form.boundary, form.bytes()));
        }

        assertThat(ran(prompt)).isFalse();
    }

    @Test
    void aPageOfAnotherOrigin_cannotReadOrCancelJobs() throws Exception {
        String job = "0123456789abcdef0123456789abcdef";
        assertRefused(get("/v1/jobs/" + job, "https://evil.example"));
        assertRefused(get("/v1/jobs/" + job + "/events", "https://evil.example"));
        assertRefused(
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/jobs/" + job)).header("Origin", "https://evil.example").DELETE().build(),
                        HttpResponse.BodyHandlers.ofString()));
        // A preflight is refused too: no CORS is configured.
        assertRefused(
                HTTP.send(
                        HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                                .header("Origin", "https://evil.example")
                                .header("Access-Control-Request-Method", "POST")
                                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void theGatewaysOwnOrigin_andClientsWithoutOne_areServed() throws Exception {
        String prompt = "a same-origin circle " + UUID.randomUUID();
        for (String origin : new String[] {ownOrigin(), ownOrigin().toUpperCase(java.util.Locale.ROOT), null}) {
            HttpResponse<String> response = post("/v1/jobs", origin, "application/json", generation(prompt));
            assertThat(response.statusCode()).as("%s: %s", origin, response.body()).isEqualTo(202);
        }
        assertThat(ran(prompt)).isTrue();
        // Only the API is guarded: the web page and health are served to anyone.
        assertThat(get("/", "https://evil.example").statusCode()).isEqualTo(200);
        assertThat(get("/q/health/live", "https://evil.example").statusCode()).isEqualTo(200);
    }

    @Test
    void jsonEndpoints_refuseBodiesThatAreNotJson_insteadOfParsingThem() throws Exception {
        String prompt = "a plain-text circle " + UUID.randomUUID();
        Map<String, List<String>> refused =
                Map.of(
                        "/v1/images/generations", List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json"),
                        "/v1/images/interpolations", List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"),
                        "/v1/images/text_diffs", List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"),
                        "/v1/jobs", List.of("text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded"));
        for (Map.Entry<String, List<String>> endpoint : refused.entrySet()) {
            for (String contentType : endpoint.getValue()) {
                HttpResponse<String> response = post(endpoint.getKey(), null, contentType, generation(prompt));
                assertThat(response.statusCode()).as("%s %s: %s", endpoint.getKey(), contentType, response.body()).isEqualTo(400);
                assertNotJson(response);
            }
        }

        assertThat(ran(prompt)).isFalse();
    }
}
