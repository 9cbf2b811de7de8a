package org.unclip.gateway.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/** Jobs through a mesh's REST API, for the fault tests: submit, follow, fetch the image. */
final class MeshJobs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Function<String, URI> gateway;
    private final String prompt;

    /**
     * @param gateway the URI of a path on the gateway to talk to
     * @param prompt the prompt of every job; each job is long enough (400 decoder steps at 64 px)
     *     to be caught in its decoder loop
     */
    MeshJobs(Function<String, URI> gateway, String prompt) {
        this.gateway = gateway;
        this.prompt = prompt;
    }

    /** The same jobs through another gateway. */
    MeshJobs via(Function<String, URI> other) {
        return new MeshJobs(other, prompt);
    }

    String submit(long seed) throws Exception {
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(gateway.apply("/v1/jobs"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"prompt": "%s", "size": "64x64", "decoder_steps": 400, "seed": %d, "previews": false}
                                """.formatted(prompt, seed)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        return JSON.readTree(submitted.body()).get("id").asText();
    }

    JsonNode job(String id) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(gateway.apply("/v1/jobs/" + id)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    void awaitDecoderStep(String id, int step) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (true) {
            JsonNode view = job(id);
            if (view.path("stage").asText().equals("decoder") && view.path("step").asInt() >= step) {
                return;
            }
            assertThat(view.get("state").asText()).as(view.toString()).isIn("queued", "running");
            assertThat(Instant.now()).as("job %s to reach decoder step %d", id, step).isBefore(deadline);
            Thread.sleep(20);
        }
    }

    /** Waits until the job has ended; the gateway may answer errors meanwhile (its Redis coming back). */
    JsonNode awaitEnd(String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
        while (true) {
            try {
                JsonNode view = job(id);
                String state = view.path("state").asText();
                if (!state.isEmpty() && !state.equals("queued") && !state.equals("running")) {
                    return view;
                }
            } catch (IOException | RuntimeException notNow) {
                // asked again below
            }
            assertThat(Instant.now()).as("job %s to end", id).isBefore(deadline);
            Thread.sleep(100);
        }
    }

    byte[] png(String id) throws Exception {
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(gateway.apply("/v1/images/results/" + id + "/0.png")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    /** The image of an undisturbed run of the same request. */
    byte[] undisturbed(long seed) throws Exception {
        String id = submit(seed);
        assertThat(awaitEnd(id).get("state").asText()).isEqualTo("succeeded");
        return png(id);
    }
}
