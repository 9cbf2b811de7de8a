package org.unclip.stage.tracing;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * Where a stage sends its spans ({@code unclip.tracing.*}). Without an endpoint nothing is sent
 * ({@link SpansKeptLocal}); {@code application.properties} hands the endpoint to Quarkus'
 * OpenTelemetry exporter ({@code quarkus.otel.exporter.otlp.endpoint}).
 */
@ConfigMapping(prefix = "unclip.tracing")
public interface TracingConfig {

    /** An OTLP collector, e.g. {@code http://otel-collector:4317} (OTLP over gRPC); none by default. */
    Optional<String> otlpEndpoint();
}
