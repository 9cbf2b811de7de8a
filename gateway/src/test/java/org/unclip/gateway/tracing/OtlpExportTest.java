package org.unclip.gateway.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * With {@code unclip.tracing.otlp-endpoint} set, the gateway's spans go to that OTLP collector (a
 * small HTTP receiver of the test's own, OTLP over HTTP) and the exporter that keeps them local
 * steps aside.
 */
@QuarkusTest
@TestProfile(OtlpExportTest.Collector.class)
@QuarkusTestResource(FakeStagesResource.class)
class OtlpExportTest {

    /** Requests the collector received: method and path. */
    static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
    private static HttpServer collector;

    public static class Collector implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "unclip.tracing.otlp-endpoint", "http://127.0.0.1:" + start().getAddress().getPort(),
                    "quarkus.otel.exporter.otlp.protocol", "http/protobuf");
        }
    }

    private static synchronized HttpServer start() {
        if (collector == null) {
            try {
                collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            collector.createContext("/", exchange -> {
                RECEIVED.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            collector.start();
        }
        return collector;
    }

    @TestHTTPResource("/v1/jobs/0123456789abcdef0123456789abcdef")
    URI unknownJob;

    @Inject
    @Any
    Instance<SpanExporter> exporters;

    @Test
    void theSpansGoToTheConfiguredCollector() throws Exception {
        assertThat(exporters.stream().map(e -> e.getClass().getSimpleName()).toList())
                .as("no exporter keeps the spans local").noneMatch(n -> n.startsWith("SpansKeptLocal") || n.startsWith("CollectedSpans"));

        HttpClient.newHttpClient().send(HttpRequest.newBuilder(unknownJob).GET().build(), HttpResponse.BodyHandlers.ofString());

        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (RECEIVED.isEmpty()) {
            assertThat(System.nanoTime()).as("spans to reach the collector").isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(RECEIVED).contains("POST /v1/traces");
    }
}
