package org.unclip.prior;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.PriorServiceGrpc.PriorServiceBlockingStub;
import org.unclip.core.family.ModelFamily;

/**
 * A stage continues the trace of the call it serves: the caller's gRPC client span sends its
 * traceparent over loopback, and the stage's server span for the call is its child.
 */
@QuarkusTest
class PriorTracingTest {

    private static final ModelFamily FAMILY = TestRequests.family();

    @GrpcClient("self")
    PriorServiceBlockingStub client;

    @Inject
    CollectedSpans spans;

    @Inject
    Tracer tracer;

    @Test
    void theServerSpanOfACall_isAChildOfTheCallersSpan() throws Exception {
        Span caller = tracer.spanBuilder("caller").startSpan();
        try (Scope scope = caller.makeCurrent()) {
            client.withDeadlineAfter(60, TimeUnit.SECONDS)
                    .generateEmbeddings(TestRequests.valid(FAMILY, 3).setSteps(2).build())
                    .forEachRemaining(e -> {});
        } finally {
            caller.end();
        }
        String traceId = caller.getSpanContext().getTraceId();

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<SpanData> trace;
        while (true) {
            trace = spans.trace(traceId);
            // the client span ends on the call's closing callback, which may run just after the
            // blocking iterator has handed over the last message: wait for both ends of the call
            if (trace.stream().anyMatch(s -> s.getKind() == SpanKind.SERVER)
                    && trace.stream().anyMatch(s -> s.getKind() == SpanKind.CLIENT)) {
                break;
            }
            assertThat(System.nanoTime()).as("a server and a client span in " + names(trace)).isLessThan(deadline);
            Thread.sleep(50);
        }
        SpanData client = single(trace, SpanKind.CLIENT);
        SpanData server = single(trace, SpanKind.SERVER);
        assertThat(client.getParentSpanId()).isEqualTo(caller.getSpanContext().getSpanId());
        assertThat(server.getName()).endsWith("GenerateEmbeddings");
        assertThat(server.getParentSpanId()).as("the stage's span continues the caller's").isEqualTo(client.getSpanId());
    }

    private static SpanData single(List<SpanData> trace, SpanKind kind) {
        List<SpanData> found = trace.stream().filter(s -> s.getKind() == kind).toList();
        assertThat(found).as(kind + " spans in " + names(trace)).hasSize(1);
        return found.get(0);
    }

    private static List<String> names(List<SpanData> trace) {
        return trace.stream().map(s -> s.getKind() + " " + s.getName()).toList();
    }
}
