package org.unclip.gateway.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.unclip.gateway.jobs.JobStore;
import org.unclip.gateway.redis.RedisConnections;

/** Ready when Redis answers PING: without it no job can be queued. */
@Readiness
@ApplicationScoped
public class RedisHealthCheck implements HealthCheck {

    private final RedisConnections redis;
    private final JobStore store;

    @Inject
    public RedisHealthCheck(RedisConnections redis, JobStore store) {
        this.redis = redis;
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        try {
            String pong = redis.commands().ping();
            return HealthCheckResponse.named("redis")
                    .status("PONG".equals(pong))
                    .withData("stream", store.keys().stream())
                    .build();
        } catch (RuntimeException e) {
            return HealthCheckResponse.named("redis").down().withData("error", String.valueOf(e.getMessage())).build();
        }
    }
}
