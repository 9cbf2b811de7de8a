package org.unclip.stage.family;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.unclip.core.family.ModelFamily;
import org.unclip.stage.metrics.StageMetrics;

/**
 * Names the model family this stage serves on every call, and refuses calls meant for another.
 *
 * <ul>
 *   <li>Every response carries {@code unclip-family} (the family's name) and
 *       {@code unclip-family-hash} ({@link FamilyIdentity#hash()}) in its response headers, and in
 *       its trailers when the call ends before any header was sent (an error answered at once).
 *   <li>A call whose request metadata holds {@code unclip-expect-family} or
 *       {@code unclip-expect-family-hash} with another value is answered FAILED_PRECONDITION before
 *       the service sees it (no work is done), with the served family in its trailers; the gateway
 *       then tries another replica.
 *   <li>The metric {@code unclip_model_family_info{service, family, hash}} is 1.
 * </ul>
 *
 * <p>The family is the one in {@code unclip.family.dir}, hashed once at start-up. A stage registers
 * the check on its gRPC service with {@code @RegisterInterceptor(FamilyCheck.class)}.
 */
@Startup
@Singleton
public class FamilyCheck implements ServerInterceptor {

    public static final Metadata.Key<String> FAMILY = Metadata.Key.of("unclip-family", Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> FAMILY_HASH =
            Metadata.Key.of("unclip-family-hash", Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> EXPECT_FAMILY =
            Metadata.Key.of("unclip-expect-family", Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> EXPECT_FAMILY_HASH =
            Metadata.Key.of("unclip-expect-family-hash", Metadata.ASCII_STRING_MARSHALLER);

    /** The outcome label of refused calls in {@code unclip_stage_call_duration_seconds}. */
    public static final String MISMATCH_OUTCOME = "family_mismatch";

    private static final Logger LOG = Logger.getLogger(FamilyCheck.class);

    private final FamilyIdentity served;
    private final StageMetrics metrics;

    @Inject
    FamilyCheck(@ConfigProperty(name = "unclip.family.dir") String familyDir, StageMetrics metrics,
            MeterRegistry registry, @ConfigProperty(name = "quarkus.application.name") String service) {
        this(hashed(Path.of(familyDir)), metrics, registry, service);
    }

    public FamilyCheck(FamilyIdentity served, StageMetrics metrics, MeterRegistry registry, String service) {
        this.served = served;
        this.metrics = metrics;
        Gauge.builder("unclip.model.family.info", () -> 1)
                .description("The model family this stage serves: its name and content hash (value always 1)")
                .tags("service", service, "family", served.name(), "hash", served.hash())
                .register(registry);
    }

    private static FamilyIdentity hashed(Path dir) {
        long begin = System.nanoTime();
        FamilyIdentity identity = FamilyIdentity.of(ModelFamily.load(dir));
        LOG.infof("serving model family %s, sha256 %s (hashed in %d ms)", identity.name(), identity.hash(),
                (System.nanoTime() - begin) / 1_000_000);
        return identity;
    }

    /** The family this stage serves. */
    public FamilyIdentity served() {
        return served;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String expectedName = headers.get(EXPECT_FAMILY);
        String expectedHash = headers.get(EXPECT_FAMILY_HASH);
        boolean nameDiffers = expectedName != null && !expectedName.equals(served.name());
        boolean hashDiffers = expectedHash != null && !expectedHash.equals(served.hash());
        if (nameDiffers || hashDiffers) {
            long begin = System.nanoTime();
            String expected = (expectedName == null ? "any family" : expectedName)
                    + (expectedHash == null ? "" : " (sha256 " + abbreviate(expectedHash) + ")");
            // counted before the answer, so whoever sees the refusal sees it counted too
            metrics.call(call.getMethodDescriptor().getBareMethodName(), MISMATCH_OUTCOME, begin);
            call.close(Status.FAILED_PRECONDITION.withDescription("model family mismatch: this replica serves "
                    + served + ", the call expects " + expected), identity(new Metadata()));
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(new Identified<>(call), headers);
    }

    private Metadata identity(Metadata metadata) {
        metadata.put(FAMILY, served.name());
        metadata.put(FAMILY_HASH, served.hash());
        return metadata;
    }

    private static String abbreviate(String hash) {
        return hash.length() > 12 ? hash.substring(0, 12) : hash;
    }

    /** Adds the identity to the response headers, or to the trailers of a call that sent none. */
    private final class Identified<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private volatile boolean headersSent;

        Identified(ServerCall<Q, R> call) {
            super(call);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            headersSent = true;
            super.sendHeaders(identity(headers));
        }

        @Override
        public void close(Status status, Metadata trailers) {
            super.close(status, headersSent ? trailers : identity(trailers));
        }
    }
}
