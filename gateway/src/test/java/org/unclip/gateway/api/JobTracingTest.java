package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.CollectedSpans;
import org.unclip.gateway.testing.FakeStages;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * One trace per job: the request that submits it, the job's run on a worker thread (a child of
 * the request, through the traceparent stored with the job), and each stage call (children of the
 * run, their traceparent sent to the stages). The job status carries the trace id.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class JobTracingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    @Inject
    CollectedSpans spans;

    @Inject
    @Any
    Instance<SpanExporter> exporters;

    FakeStages stages;

    @Test
    void withoutAnOtlpEndpoint_theSpansStayInTheProcess() {
        assertThat(exporters.stream().map(e -> e.getClass().getSimpleName()).toList())
                .as("Quarkus' OTLP exporter is made only when no other exporter is looked up")
                .contains("SpansKeptLocal");
    }

    @Test
    void aJobsTrace_holdsTheRequest_theRun_andEachStageCall() throws Exception {
        HttpResponse<String> submitted = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a red circle on a blue background\",\"size\":\"64x64\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String id = JSON.readTree(submitted.body()).get("id").asText();

        JsonNode job = awaitSucceeded(id);
        String traceId = job.path("trace_id").asText();
        assertThat(traceId).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));

        List<SpanData> trace = awaitSpans(traceId);
        SpanData request = single(trace, s -> s.getKind() == SpanKind.SERVER && s.getName().contains("/v1/jobs"));
        SpanData run = single(trace, s -> s.getName().equals("job generation"));
        assertThat(request.getParentSpanContext().isValid()).as("the request starts the trace").isFalse();
        assertThat(run.getParentSpanId()).as("the run is a child of the request").isEqualTo(request.getSpanId());
        assertThat(run.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(run.getAttributes().asMap().toString()).contains(id);
        for (String method : List.of("EncodeText", "GenerateEmbeddings", "GenerateImages")) {
            SpanData call = single(trace, s -> s.getKind() == SpanKind.CLIENT && s.getName().endsWith("/" + method));
            assertThat(call.getParentSpanId()).as(method + " is a child of the run").isEqualTo(run.getSpanId());
        }
        for (String stage : List.of("text-encoder", "prior", "decoder")) {
            assertThat(stages.families.lastTraceparent.get(stage))
                    .as("the %s stage got the trace", stage).startsWith("00-" + traceId + "-");
        }
    }

    private JsonNode awaitSucceeded(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/jobs/" + id)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode job = JSON.readTree(response.body());
            if (job.path("state").asText().equals("succeeded")) {
                return job;
            }
            assertThat(System.nanoTime()).as("waiting for job " + id + ": " + job).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /**
     * The trace's spans once the run's span, the request's and the three stage calls' client spans
     * have been exported (a client span ends on its call's closing callback, which may come after
     * the caller has moved on).
     */
    private List<SpanData> awaitSpans(String traceId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            List<SpanData> trace = spans.trace(traceId);
            if (trace.stream().anyMatch(s -> s.getName().startsWith("job "))
                    && trace.stream().anyMatch(s -> s.getKind() == SpanKind.SERVER)
                    && trace.stream().filter(s -> s.getKind() == SpanKind.CLIENT).count() >= 3) {
                return trace;
            }
            assertThat(System.nanoTime()).as("waiting for the spans of trace " + traceId).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static SpanData single(List<SpanData> trace, java.util.function.Predicate<SpanData> which) {
        List<SpanData> found = trace.stream().filter(which).toList();
        assertThat(found).as("in " + trace.stream().map(s -> s.getKind() + " " + s.getName()).toList()).hasSize(1);
        return found.get(0);
    }
}
