package org.unclip.gateway.jobs;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.redis.RedisConnections;

/**
 * Lets HTTP requests wait for their jobs, whichever replica runs them.
 *
 * <p>Workers publish a job's id on {@code <prefix>job-events} when it finishes; every replica
 * subscribes and checks the jobs its own requests wait for. A poll of the waiting jobs' state
 * every {@code unclip.jobs.poll-interval} covers notifications lost while the pub/sub connection
 * was down.
 */
@ApplicationScoped
public class JobWaiter {

    private static final Logger LOG = Logger.getLogger(JobWaiter.class);

    private final JobStore store;
    private final RedisConnections redis;
    private final Duration pollInterval;
    // every request waiting for a job, several per job when clients wait twice (or poll and wait)
    private final Map<String, Set<CompletableFuture<JobOutcome>>> waiting = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService checkers;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;

    @Inject
    public JobWaiter(JobStore store, RedisConnections redis, GatewayConfig config) {
        this.store = store;
        this.redis = redis;
        this.pollInterval = config.jobs().pollInterval();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(named("unclip-job-poller"));
        this.checkers = Executors.newFixedThreadPool(4, named("unclip-job-waiter"));
    }

    void onStart(@Observes StartupEvent event) {
        long every = Math.max(10, pollInterval.toMillis());
        scheduler.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        scheduler.shutdownNow();
        checkers.shutdownNow();
        StatefulRedisPubSubConnection<String, String> connection = pubSub;
        if (connection != null) {
            connection.close();
        }
        waiting.values().forEach(futures -> futures.forEach(f -> f.cancel(false)));
    }

    /**
     * Completes with the job's outcome (its final status and, on success, its images) once it
     * succeeds or fails; completes exceptionally with a {@link java.util.concurrent.TimeoutException}
     * after {@code timeout}, or a {@link JobGoneException} if the job expires meanwhile. Call it
     * once the job is stored; a job that finished before this call is found by an immediate check.
     */
    public CompletableFuture<JobOutcome> await(String jobId, Duration timeout) {
        subscribe();
        CompletableFuture<JobOutcome> future = new CompletableFuture<>();
        waiting.compute(jobId, (id, futures) -> {
            Set<CompletableFuture<JobOutcome>> all = futures == null ? ConcurrentHashMap.newKeySet() : futures;
            all.add(future);
            return all;
        });
        future.whenComplete((status, error) -> forget(jobId, future));
        future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        checkers.execute(() -> check(jobId));
        return future;
    }

    /** Number of requests this replica is waiting for. */
    public int waitingCount() {
        return waiting.values().stream().mapToInt(Set::size).sum();
    }

    private void forget(String jobId, CompletableFuture<JobOutcome> future) {
        waiting.computeIfPresent(jobId, (id, futures) -> {
            futures.remove(future);
            return futures.isEmpty() ? null : futures;
        });
    }

    private void poll() {
        if (pubSub == null && !waiting.isEmpty()) {
            subscribe();
        }
        for (String jobId : waiting.keySet()) {
            checkers.execute(() -> check(jobId));
        }
    }

    private void check(String jobId) {
        Set<CompletableFuture<JobOutcome>> futures = waiting.get(jobId);
        if (futures == null || futures.stream().allMatch(CompletableFuture::isDone)) {
            return;
        }
        try {
            Optional<JobState> state = store.state(jobId);
            if (state.isEmpty()) {
                throw gone(jobId);
            } else if (state.get().isTerminal()) {
                JobStatus status = store.status(jobId).orElseThrow(() -> gone(jobId));
                JobOutcome outcome =
                        status.state() == JobState.SUCCEEDED
                                ? new JobOutcome(status, store.results(jobId).orElseThrow(() -> gone(jobId)))
                                : new JobOutcome(status, List.of());
                List.copyOf(futures).forEach(f -> f.complete(outcome));
            }
        } catch (JobGoneException e) {
            List.copyOf(futures).forEach(f -> f.completeExceptionally(e));
        } catch (RuntimeException e) {
            LOG.debugf("could not check job %s: %s", jobId, e.getMessage());
        }
    }

    private static JobGoneException gone(String jobId) {
        return new JobGoneException("job " + jobId + " (or its images) expired from Redis before it could be read");
    }

    /** The job's hash or result expired, or was deleted, while a request waited for it. */
    public static final class JobGoneException extends RuntimeException {
        JobGoneException(String message) {
            super(message);
        }
    }

    /** Subscribes to job notifications once; failures are retried by the poller. */
    private void subscribe() {
        if (pubSub != null) {
            return;
        }
        synchronized (this) {
            if (pubSub != null) {
                return;
            }
            StatefulRedisPubSubConnection<String, String> connection = null;
            try {
                connection = redis.openPubSub();
                connection.addListener(
                        new RedisPubSubAdapter<>() {
                            @Override
                            public void message(String channel, String jobId) {
                                // Runs on a Lettuce I/O thread, which must not block on Redis itself.
                                if (waiting.containsKey(jobId)) {
                                    checkers.execute(() -> check(jobId));
                                }
                            }
                        });
                connection.sync().subscribe(store.keys().events());
                pubSub = connection;
            } catch (RuntimeException e) {
                if (connection != null) {
                    connection.close();
                }
                LOG.debugf("cannot subscribe to job events yet (%s); polling instead", e.getMessage());
            }
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
