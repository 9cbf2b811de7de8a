package org.unclip.gateway.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A job's place in a trace. The request that submits a job stores the W3C {@code traceparent} of
 * its span with the job; the worker that runs it, on another thread or another gateway, starts the
 * job's span as a child of it, so one trace holds the request, the job and each of its stage calls.
 */
public final class JobTraces {

    private static final Pattern TRACEPARENT = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    private static final TextMapGetter<String> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
            return "traceparent".equals(key) ? carrier : null;
        }
    };

    private JobTraces() {}

    /** The {@code traceparent} of the current span, or empty when there is none. */
    public static String currentTraceparent() {
        SpanContext span = Span.current().getSpanContext();
        if (!span.isValid()) {
            return "";
        }
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    /** The trace id of a stored {@code traceparent}, or empty. */
    public static String traceId(String traceparent) {
        return isTraceparent(traceparent) ? traceparent.substring(3, 35) : "";
    }

    /** The context whose span is the stored {@code traceparent}: the parent of the job's span (root when empty). */
    public static Context parent(String traceparent) {
        if (!isTraceparent(traceparent)) {
            return Context.root();
        }
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, GETTER);
    }

    private static boolean isTraceparent(String value) {
        return value != null && TRACEPARENT.matcher(value).matches();
    }
}
