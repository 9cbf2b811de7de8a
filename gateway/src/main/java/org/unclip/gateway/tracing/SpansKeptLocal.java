package org.unclip.gateway.tracing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.inject.Singleton;
import java.util.Collection;

/**
 * Keeps the service's spans from leaving the process while no OTLP endpoint is configured: traces
 * are still made and propagated (trace ids in calls, job states and logs), but nothing tries to
 * reach a collector. Quarkus creates its OTLP exporter only when no other span exporter is looked
 * up, so this one steps aside as soon as {@code unclip.tracing.otlp-endpoint}
 * ({@code UNCLIP_TRACING_OTLP_ENDPOINT}) names an endpoint, which {@code application.properties}
 * passes on as {@code quarkus.otel.exporter.otlp.endpoint}.
 */
@Singleton
@LookupIfProperty(name = "unclip.tracing.otlp-endpoint", stringValue = "", lookupIfMissing = true)
public class SpansKeptLocal implements SpanExporter {

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
