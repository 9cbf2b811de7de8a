package org.unclip.stage.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.batch.StepScheduler;

/**
 * A stage's Prometheus metrics (served at {@code /q/metrics}), every one labelled with the
 * service ({@code quarkus.application.name}):
 *
 * <ul>
 *   <li>{@code unclip_stage_calls_in_flight}: calls admitted and not finished (waiting or running);
 *   <li>{@code unclip_stage_calls_waiting}: calls waiting for a place in a batch;
 *   <li>{@code unclip_stage_batch_size} (histogram, label {@code loop}): images per batched step;
 *   <li>{@code unclip_stage_step_duration_seconds} (histogram, label {@code loop}): one batched step;
 *   <li>{@code unclip_stage_call_duration_seconds} (histogram, labels {@code method}, {@code outcome}):
 *       one call, from its arrival to its last message;
 *   <li>{@code unclip_stage_calls_refused_total} (label {@code loop}): calls answered RESOURCE_EXHAUSTED.
 * </ul>
 *
 * The autoscaling examples in {@code deploy/} scale each stage on {@code unclip_stage_calls_in_flight}.
 */
@ApplicationScoped
public class StageMetrics {

    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64};

    private final MeterRegistry registry;
    private final String service;
    private final List<StepScheduler<?>> schedulers = new CopyOnWriteArrayList<>();

    public StageMetrics(MeterRegistry registry, ShutdownDrain drain,
            @ConfigProperty(name = "quarkus.application.name") String service) {
        this.registry = registry;
        this.service = service;
        Gauge.builder("unclip.stage.calls.in.flight", drain, ShutdownDrain::running)
                .description("Calls admitted and not yet finished, waiting or running")
                .tag("service", service)
                .register(registry);
        Gauge.builder("unclip.stage.calls.waiting", this, StageMetrics::waiting)
                .description("Calls waiting for a place in a batch")
                .tag("service", service)
                .register(registry);
    }

    private double waiting() {
        int n = 0;
        for (StepScheduler<?> s : schedulers) {
            n += s.waiting();
        }
        return n;
    }

    /** The observer for one batching loop ({@code decoder}, {@code prior}, {@code text_encoder}). */
    public StepScheduler.Observer loop(String loop) {
        DistributionSummary batch = DistributionSummary.builder("unclip.stage.batch.size")
                .description("Images in one batched step")
                .tags("service", service, "loop", loop)
                .serviceLevelObjectives(BATCH_BUCKETS)
                .register(registry);
        Timer step = Timer.builder("unclip.stage.step.duration")
                .description("Duration of one batched step (every network call and sampler update in it)")
                .tags("service", service, "loop", loop)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        Counter refused = Counter.builder("unclip.stage.calls.refused")
                .description("Calls refused with RESOURCE_EXHAUSTED because too many were waiting")
                .tags("service", service, "loop", loop)
                .register(registry);
        return new StepScheduler.Observer() {
            @Override
            public void stepped(int images, long nanos) {
                batch.record(images);
                step.record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void refused() {
                refused.increment();
            }
        };
    }

    /** Counts {@code scheduler}'s waiting runs in {@code unclip_stage_calls_waiting}. */
    public void watch(StepScheduler<?> scheduler) {
        schedulers.add(scheduler);
    }

    /** Stops counting {@code scheduler}. */
    public void unwatch(StepScheduler<?> scheduler) {
        schedulers.remove(scheduler);
    }

    /** Records one finished call. */
    public void call(String method, String outcome, long startNanos) {
        Timer.builder("unclip.stage.call.duration")
                .description("Duration of one call, from its arrival to its last message")
                .tags("service", service, "method", method, "outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry)
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}
