package org.unclip.gateway.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;
import org.unclip.gateway.jobs.JobStore;
import org.unclip.gateway.redis.RedisConnections;

/**
 * Ready when Redis answers PING: without it no job can be queued. While it does not, the check
 * says {@value #UNREACHABLE} and nothing more ({@code /q/health} is open to anyone); why goes to
 * the log, at WARN when Redis becomes unreachable and at DEBUG while it stays so.
 */
@Readiness
@ApplicationScoped
public class RedisHealthCheck implements HealthCheck {

    static final String UNREACHABLE = "unreachable";

    private static final Logger LOG = Logger.getLogger(RedisHealthCheck.class);

    private final RedisConnections redis;
    private final JobStore store;
    private final AtomicBoolean reachable = new AtomicBoolean(true);

    @Inject
    public RedisHealthCheck(RedisConnections redis, JobStore store) {
        this.redis = redis;
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        try {
            String pong = redis.commands().ping();
            if (!reachable.getAndSet(true)) {
                LOG.info("Redis answers again");
            }
            return HealthCheckResponse.named("redis")
                    .status("PONG".equals(pong))
                    .withData("stream", store.keys().stream())
                    .build();
        } catch (RuntimeException e) {
            if (reachable.getAndSet(false)) {
                LOG.warnf("Redis is unreachable: %s", e.toString());
            } else {
                LOG.debugf("Redis is still unreachable: %s", e.toString());
            }
            return HealthCheckResponse.named("redis").down().withData("error", UNREACHABLE).build();
        }
    }
}
