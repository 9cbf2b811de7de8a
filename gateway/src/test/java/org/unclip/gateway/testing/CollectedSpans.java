package org.unclip.gateway.testing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The gateway's finished spans in memory, for tests (the last 20,000). Like the gateway's own
 * {@code SpansKeptLocal}, it steps aside when an OTLP endpoint is configured, so that Quarkus'
 * exporter is used.
 */
@Singleton
@LookupIfProperty(name = "unclip.tracing.otlp-endpoint", stringValue = "", lookupIfMissing = true)
public class CollectedSpans implements SpanExporter {

    private static final int KEPT = 20_000;

    private final List<SpanData> spans = new ArrayList<>();

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> batch) {
        spans.addAll(batch);
        if (spans.size() > KEPT) {
            spans.subList(0, spans.size() - KEPT).clear();
        }
        return CompletableResultCode.ofSuccess();
    }

    /** The spans of one trace, in the order they ended. */
    public synchronized List<SpanData> trace(String traceId) {
        return spans.stream().filter(s -> s.getTraceId().equals(traceId)).toList();
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
