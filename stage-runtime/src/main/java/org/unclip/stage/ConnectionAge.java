package org.unclip.stage;

import io.quarkus.arc.Unremovable;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import io.vertx.grpc.server.GrpcServerOptions;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Gives every client connection of the gRPC server a maximum age ({@code unclip.grpc.max-connection-age},
 * 0 = none): the server then sends a GOAWAY, the client opens a new connection for its next calls
 * and, with a {@code dns:///} target, resolves the name again, so a gateway starts using stage
 * replicas added since. Calls running on the old connection may go on for
 * {@code unclip.grpc.max-connection-age-grace} before it is closed (they then fail with UNAVAILABLE,
 * which the gateway retries). grpc-java varies the age by ±10 % so that clients do not all
 * reconnect at once; the shortest age it takes is one second.
 *
 * <p>Quarkus has no property for this; it applies to the separate gRPC server
 * ({@code quarkus.grpc.server.use-separate-server=true}). Every stage service gets it from this
 * module.
 */
@Singleton
@Unremovable
public class ConnectionAge implements ServerBuilderCustomizer<VertxServerBuilder> {

    private static final Logger LOG = Logger.getLogger(ConnectionAge.class);

    private final Duration age;
    private final Duration grace;

    public ConnectionAge(
            @ConfigProperty(name = "unclip.grpc.max-connection-age", defaultValue = "5m") Duration age,
            @ConfigProperty(name = "unclip.grpc.max-connection-age-grace", defaultValue = "10m") Duration grace) {
        if (age.isNegative() || grace.isNegative()) {
            throw new IllegalArgumentException(
                    "unclip.grpc.max-connection-age and -grace must not be negative, got " + age + " and " + grace);
        }
        this.age = age;
        this.grace = grace;
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        if (age.isZero()) {
            return;
        }
        builder.nettyBuilder()
                .maxConnectionAge(age.toNanos(), TimeUnit.NANOSECONDS)
                .maxConnectionAgeGrace(grace.toNanos(), TimeUnit.NANOSECONDS);
        LOG.debugf("gRPC connections live at most %s (+ %s for running calls)", age, grace);
    }

    @Override
    public void customize(GrpcServerConfiguration config, GrpcServerOptions options) {
        if (!age.isZero()) {
            LOG.warn("unclip.grpc.max-connection-age needs quarkus.grpc.server.use-separate-server=true; ignored");
        }
    }
}
