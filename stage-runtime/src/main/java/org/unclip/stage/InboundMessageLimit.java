package org.unclip.stage;

import io.quarkus.arc.Unremovable;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import io.vertx.grpc.server.GrpcServerOptions;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.unclip.core.family.ModelFamily;

/**
 * Sizes the gRPC server's inbound message limit for the family it serves: the largest request a
 * stage takes carries {@link #MAX_ROWS_PER_CALL} text encodings plus the unconditional one
 * ({@code last_hidden_state} [L,W], {@code text_embeds} [D], the mask [L] each) and as many image
 * embeddings [D], as float32. The limit is that, half as much again, plus 64 KiB for the rest of
 * the message, and never below {@code unclip.grpc.min-inbound-message-size} (default grpc-java's
 * 4 MiB). For Karlo's dimensions (L 77, W 768, D 768) that is 6.2 MB, over the default; for the
 * Shapes world it is the default.
 *
 * <p>Quarkus's {@code quarkus.grpc.server.max-inbound-message-size} is a fixed number; this follows
 * the family's dimensions, read from the same {@code unclip.family.dir} the stage loads. It applies
 * to the separate gRPC server ({@code quarkus.grpc.server.use-separate-server=true}), as every stage
 * runs.
 */
@Singleton
@Unremovable
public class InboundMessageLimit implements ServerBuilderCustomizer<VertxServerBuilder> {

    /** The most images (seeds) one prior or decoder call may carry. */
    public static final int MAX_ROWS_PER_CALL = 16;

    /** grpc-java's default inbound limit. */
    static final int GRPC_DEFAULT = 4 * 1024 * 1024;

    private static final Logger LOG = Logger.getLogger(InboundMessageLimit.class);

    private final int limit;

    public InboundMessageLimit(
            @ConfigProperty(name = "unclip.family.dir", defaultValue = "models/shapes-tiny") String familyDir,
            @ConfigProperty(name = "unclip.grpc.min-inbound-message-size", defaultValue = "4194304") int minimum) {
        if (minimum <= 0) {
            throw new IllegalArgumentException("unclip.grpc.min-inbound-message-size must be positive, got " + minimum);
        }
        ModelFamily family = ModelFamily.load(Path.of(familyDir));
        this.limit = Math.max(minimum, forDimensions(family.contextLength(), family.textWidth(), family.embeddingDim()));
    }

    /** The limit, in bytes, that requests of a family of these dimensions need. */
    static int forDimensions(int contextLength, int textWidth, int embeddingDim) {
        long perEncoding = (long) contextLength * textWidth + embeddingDim + contextLength;
        long floats = (MAX_ROWS_PER_CALL + 1) * perEncoding + (long) MAX_ROWS_PER_CALL * embeddingDim;
        long bytes = floats * Float.BYTES * 3 / 2 + 64 * 1024;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a family of L=" + contextLength + ", W=" + textWidth + ", D="
                    + embeddingDim + " needs messages of " + bytes + " bytes, over gRPC's 2 GiB");
        }
        return (int) bytes;
    }

    /** The inbound limit the server gets, in bytes. */
    public int limit() {
        return limit;
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        builder.nettyBuilder().maxInboundMessageSize(limit);
        LOG.debugf("gRPC inbound messages up to %d bytes", limit);
    }

    @Override
    public void customize(GrpcServerConfiguration config, GrpcServerOptions options) {
        options.setMaxMessageSize(limit);
    }
}
