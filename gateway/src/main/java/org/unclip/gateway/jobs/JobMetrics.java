package org.unclip.gateway.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.unclip.gateway.redis.RedisConnections;

/**
 * The gateway's Prometheus metrics (at {@code /q/metrics}):
 *
 * <ul>
 *   <li>{@code unclip_gateway_queue_length}: jobs queued and not yet started (every gateway sees the
 *       same queue);
 *   <li>{@code unclip_gateway_consumer_lag}: stream entries not yet delivered to any consumer of the
 *       group (what KEDA's redis-streams trigger reads as lagCount);
 *   <li>{@code unclip_gateway_jobs_in_flight}: jobs this gateway is running;
 *   <li>{@code unclip_gateway_job_duration_seconds} (histogram, label {@code outcome}: succeeded,
 *       failed, cancelled, abandoned): from a job's start on this gateway to its end;
 *   <li>{@code unclip_gateway_stage_duration_seconds} (histogram, labels {@code stage}, {@code outcome}):
 *       time jobs spend in each stage call, waits for a free call slot and retries included.
 * </ul>
 */
@ApplicationScoped
public class JobMetrics {

    private static final Logger LOG = Logger.getLogger(JobMetrics.class);

    private final MeterRegistry registry;
    private final JobStore store;
    private final RedisConnections redis;
    private volatile JobWorker worker;

    public JobMetrics(MeterRegistry registry, JobStore store, RedisConnections redis) {
        this.registry = registry;
        this.store = store;
        this.redis = redis;
        Gauge.builder("unclip.gateway.queue.length", this, JobMetrics::queueLength)
                .description("Jobs queued and not yet started")
                .register(registry);
        Gauge.builder("unclip.gateway.consumer.lag", this, JobMetrics::consumerLag)
                .description("Stream entries not yet delivered to a consumer of the group")
                .register(registry);
        Gauge.builder("unclip.gateway.jobs.in.flight", this, JobMetrics::jobsInFlight)
                .description("Jobs this gateway is running")
                .register(registry);
    }

    void watch(JobWorker worker) {
        this.worker = worker;
    }

    private double jobsInFlight() {
        JobWorker w = worker;
        return w == null ? 0 : w.jobsInFlight();
    }

    private double queueLength() {
        try {
            return store.queuedCount();
        } catch (RuntimeException e) {
            LOG.debugf("queue length unavailable: %s", e.getMessage());
            return Double.NaN;
        }
    }

    /** XINFO GROUPS' lag of our group (Redis 7); NaN when Redis cannot tell. */
    private double consumerLag() {
        try {
            List<Object> groups = redis.commands().xinfoGroups(store.keys().stream());
            for (Object g : groups) {
                if (!(g instanceof List<?> fields)) {
                    continue;
                }
                Object name = null;
                Object lag = null;
                for (int i = 0; i + 1 < fields.size(); i += 2) {
                    String key = String.valueOf(fields.get(i));
                    if (key.equals("name")) {
                        name = fields.get(i + 1);
                    } else if (key.equals("lag")) {
                        lag = fields.get(i + 1);
                    }
                }
                if (store.group().equals(String.valueOf(name))) {
                    return lag instanceof Number n ? n.doubleValue() : Double.NaN;
                }
            }
            return 0;
        } catch (RuntimeException e) {
            LOG.debugf("consumer lag unavailable: %s", e.getMessage());
            return Double.NaN;
        }
    }

    void jobEnded(String outcome, long nanos) {
        Timer.builder("unclip.gateway.job.duration")
                .description("From a job's start on this gateway to its end")
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Records one stage call of a job (the time spent in that stage). */
    public void stageCall(String stage, String outcome, long nanos) {
        Timer.builder("unclip.gateway.stage.duration")
                .description("Time jobs spend in a stage call, waits for a call slot and retries included")
                .tags("stage", stage, "outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
