package org.unclip.gateway.testing;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The model-family side of the fake stages, as the real stages do it: each answer names the
 * family the stage serves ({@code unclip-family}, {@code unclip-family-hash}), and a call that
 * expects another family ({@code unclip-expect-family[-hash]}) is refused FAILED_PRECONDITION before
 * the stage sees it. Every stage serves {@link #SERVED}; a test can make the next calls of one stage
 * come from a replica of {@link #OTHER} ({@link #serveOtherFamily}), or from one that names no family
 * ({@link #nameNoFamily}). Each call's expected family and W3C {@code traceparent} are recorded.
 */
public final class FakeFamilies {

    public static final String NAME = "shapes-fake";
    public static final String HASH = "f".repeat(64);
    public static final String OTHER_NAME = "shapes-other";
    public static final String OTHER_HASH = "0".repeat(64);

    static final Metadata.Key<String> FAMILY = Metadata.Key.of("unclip-family", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> FAMILY_HASH = Metadata.Key.of("unclip-family-hash", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> EXPECT_FAMILY =
            Metadata.Key.of("unclip-expect-family", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> EXPECT_FAMILY_HASH =
            Metadata.Key.of("unclip-expect-family-hash", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

    /** Per stage ("text-encoder", "prior", "decoder"): calls still to be answered by a replica of {@link #OTHER_NAME}. */
    private final Map<String, AtomicInteger> otherFamilyCalls = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> namelessCalls = new ConcurrentHashMap<>();
    /** Per stage: the family the last call expected ("name/hash", or "" for none). */
    public final Map<String, String> lastExpected = new ConcurrentHashMap<>();
    /** Per stage: the traceparent of the last call ("" for none). */
    public final Map<String, String> lastTraceparent = new ConcurrentHashMap<>();
    /** Per stage: calls refused because they expected another family. */
    public final Map<String, AtomicInteger> refusals = new ConcurrentHashMap<>();

    /** The next {@code calls} calls of {@code stage} reach a replica serving {@link #OTHER_NAME}. */
    public void serveOtherFamily(String stage, int calls) {
        otherFamilyCalls.computeIfAbsent(stage, s -> new AtomicInteger()).set(calls);
    }

    /** The next {@code calls} calls of {@code stage} reach a replica that names no family. */
    public void nameNoFamily(String stage, int calls) {
        namelessCalls.computeIfAbsent(stage, s -> new AtomicInteger()).set(calls);
    }

    public int refusals(String stage) {
        return refusals.computeIfAbsent(stage, s -> new AtomicInteger()).get();
    }

    /** Forgets the recorded calls and the scripted replicas. */
    public void reset() {
        otherFamilyCalls.clear();
        namelessCalls.clear();
        lastExpected.clear();
        lastTraceparent.clear();
        refusals.clear();
    }

    ServerInterceptor stage(String stage) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                String expectedName = headers.get(EXPECT_FAMILY);
                String expectedHash = headers.get(EXPECT_FAMILY_HASH);
                lastExpected.put(stage, expectedName == null ? "" : expectedName + "/" + expectedHash);
                String traceparent = headers.get(TRACEPARENT);
                lastTraceparent.put(stage, traceparent == null ? "" : traceparent);
                boolean nameless = take(namelessCalls, stage);
                boolean other = !nameless && take(otherFamilyCalls, stage);
                String name = other ? OTHER_NAME : NAME;
                String hash = other ? OTHER_HASH : HASH;
                if (!nameless && expectedName != null
                        && (!expectedName.equals(name) || !hash.equals(expectedHash))) {
                    refusals.computeIfAbsent(stage, s -> new AtomicInteger()).incrementAndGet();
                    call.close(Status.FAILED_PRECONDITION.withDescription("model family mismatch: this replica serves "
                            + name), identity(new Metadata(), name, hash));
                    return new ServerCall.Listener<>() {};
                }
                if (nameless) {
                    return next.startCall(call, headers);
                }
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    private volatile boolean headersSent;

                    @Override
                    public void sendHeaders(Metadata responseHeaders) {
                        headersSent = true;
                        super.sendHeaders(identity(responseHeaders, name, hash));
                    }

                    @Override
                    public void close(Status status, Metadata trailers) {
                        super.close(status, headersSent ? trailers : identity(trailers, name, hash));
                    }
                }, headers);
            }
        };
    }

    private static boolean take(Map<String, AtomicInteger> counts, String stage) {
        AtomicInteger left = counts.get(stage);
        return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    private static Metadata identity(Metadata metadata, String name, String hash) {
        metadata.put(FAMILY, name);
        metadata.put(FAMILY_HASH, hash);
        return metadata;
    }
}
