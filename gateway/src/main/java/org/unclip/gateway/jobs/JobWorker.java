package org.unclip.gateway.jobs;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;
import org.unclip.gateway.redis.RedisConnections;
import org.unclip.gateway.stages.FamilyPin;
import org.unclip.gateway.stages.GenerationPipeline;
import org.unclip.gateway.stages.ManipulationPipeline;
import org.unclip.gateway.stages.StageErrors;
import org.unclip.gateway.stages.StageException;
import org.unclip.gateway.stages.StageFamily;
import org.unclip.gateway.tracing.JobTraces;

/**
 * The stream consumer that runs jobs: one reader thread, a member of the consumer group with its
 * own Redis connection for the blocking read, hands each entry to a pool of job threads, so up to
 * {@code unclip.jobs.worker.max-in-flight} jobs run at once and pipeline across the stages (job B in
 * the prior while job A decodes). How many calls go to each stage at once is bounded per stage
 * ({@code unclip.stages.*-max-in-flight}, in {@link org.unclip.gateway.stages.StageClients}).
 *
 * <p>The reader reads only as many entries as it has free job slots. Now and then it reclaims
 * entries another consumer left pending for longer than {@code claim-min-idle} (XAUTOCLAIM: that
 * consumer crashed), otherwise it waits for new entries (XREADGROUP BLOCK). A job thread runs the
 * job, records the outcome in the job hash, and only then acknowledges the entry, so a crash at
 * any point leaves the entry pending for someone else. While a job runs, its entry is re-claimed
 * by its owner every third of {@code claim-min-idle} (XCLAIM JUSTID resets the idle time), so long
 * jobs are not stolen from live workers.
 */
@ApplicationScoped
public class JobWorker {

    private static final Logger LOG = Logger.getLogger(JobWorker.class);

    private final GatewayConfig.Worker config;
    private final JobStore store;
    private final GenerationPipeline pipeline;
    private final ManipulationPipeline manipulations;
    private final RedisConnections redis;
    private final String consumerPrefix;
    private final Map<String, String> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Context.CancellableContext> runningJobs = new ConcurrentHashMap<>();
    private final Duration progressInterval;
    private final Duration previewInterval;
    private final int previewMaxSize;
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Set<String> handingOver = ConcurrentHashMap.newKeySet();
    private volatile boolean running;
    private volatile long lastLoop = System.nanoTime();
    private ScheduledExecutorService heartbeat;
    private ExecutorService jobs;
    private Semaphore slots;
    private final JobMetrics metrics;
    private final GoneConsumers goneConsumers;
    private volatile String consumerName;
    private final Tracer tracer;

    @Inject
    public JobWorker(
            GatewayConfig config,
            JobStore store,
            GenerationPipeline pipeline,
            ManipulationPipeline manipulations,
            RedisConnections redis,
            JobMetrics metrics,
            Tracer tracer) {
        this.tracer = tracer;
        this.config = config.jobs().worker();
        this.progressInterval = config.jobs().progressInterval();
        this.previewInterval = config.jobs().previewInterval();
        this.previewMaxSize = config.jobs().previewMaxSize();
        this.store = store;
        this.pipeline = pipeline;
        this.manipulations = manipulations;
        this.redis = redis;
        this.metrics = metrics;
        this.consumerPrefix = this.config.consumerName().orElseGet(JobWorker::defaultConsumerName);
        this.goneConsumers = new GoneConsumers(redis::commands, store.keys().stream(), store.group(), this.config.goneConsumerIdle());
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            LOG.info("job worker disabled (unclip.jobs.worker.enabled=false); this replica only accepts requests");
            return;
        }
        start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Starts the reader thread, the job threads and the heartbeat. */
    public synchronized void start() {
        if (running) {
            return;
        }
        int maxInFlight = config.maxInFlight();
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("unclip.jobs.worker.max-in-flight must be >= 1, got " + maxInFlight);
        }
        if (config.goneConsumerIdle().compareTo(config.block().multipliedBy(2)) <= 0) {
            throw new IllegalArgumentException("unclip.jobs.worker.gone-consumer-idle (" + config.goneConsumerIdle()
                    + ") must exceed twice unclip.jobs.worker.block (" + config.block() + "): live consumers read every block");
        }
        running = true;
        slots = new Semaphore(maxInFlight);
        AtomicInteger jobThreads = new AtomicInteger();
        jobs = Executors.newFixedThreadPool(maxInFlight, r -> {
            Thread t = new Thread(r, "unclip-job-" + jobThreads.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        long beat = Math.max(100, config.claimMinIdle().toMillis() / 3);
        heartbeat =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "unclip-job-heartbeat");
                            t.setDaemon(true);
                            return t;
                        });
        heartbeat.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        long cancelPoll = Math.max(10, config.cancelPollInterval().toMillis());
        heartbeat.scheduleWithFixedDelay(this::pollCancellations, cancelPoll, cancelPoll, TimeUnit.MILLISECONDS);
        String consumer = consumerPrefix + "-0";
        consumerName = consumer;
        long sweep = Math.max(1000, config.goneConsumerSweep().toMillis());
        heartbeat.scheduleWithFixedDelay(() -> removeGoneConsumers(consumer), 0, sweep, TimeUnit.MILLISECONDS);
        Thread thread = new Thread(() -> consume(consumer), "unclip-job-reader");
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
        metrics.watch(this);
        LOG.infof(
                "job worker started: consumer %s in group %s on %s, up to %d job(s) at once",
                consumer, store.group(), store.keys().stream(), maxInFlight);
    }

    /** Jobs this gateway is running now. */
    public int jobsInFlight() {
        return runningJobs.size();
    }

    /**
     * Stops taking new entries, gives the running jobs {@code shutdown-grace} to finish, then hands
     * the rest back to the queue: their stage calls are cancelled and each job is queued again under
     * a new stream entry, so another gateway takes it at once and resumes it after its last finished
     * stage. A job's state never becomes failed because its gateway shut down.
     */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        long wait = config.block().toMillis() + 2000;
        for (Thread thread : threads) {
            try {
                thread.join(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (thread.isAlive()) {
                thread.interrupt();
            }
        }
        threads.clear();
        long graceEnd = System.nanoTime() + config.shutdownGrace().toNanos();
        while (!runningJobs.isEmpty() && System.nanoTime() < graceEnd) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Map.Entry<String, Context.CancellableContext> job : runningJobs.entrySet()) {
            LOG.infof("job %s still runs at shutdown; handing it back to the queue", job.getKey());
            handingOver.add(job.getKey());
            job.getValue().cancel(Status.UNAVAILABLE.withDescription("the gateway is shutting down").asRuntimeException());
        }
        jobs.shutdown();
        try {
            if (!jobs.awaitTermination(wait, TimeUnit.MILLISECONDS)) {
                jobs.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            jobs.shutdownNow();
        }
        heartbeat.shutdownNow();
        removeOwnConsumer();
    }

    /** Removes the consumers of gateways that are gone (idle, owning no pending entries). */
    private void removeGoneConsumers(String self) {
        try {
            List<String> removed = goneConsumers.sweep(self);
            if (!removed.isEmpty()) {
                LOG.infof("removed %d consumer(s) of gone gateways from group %s (idle over %s, owning no pending entries): %s",
                        removed.size(), store.group(), config.goneConsumerIdle(), String.join(", ", removed));
            }
        } catch (RuntimeException e) {
            // Redis down or busy: the next sweep tries again; nothing depends on it meanwhile.
            LOG.debugf("gone consumers not removed this time: %s", e.getMessage());
        }
    }

    /** On shutdown, once every job is acknowledged or handed back: this gateway's consumer goes, if it owns nothing. */
    private void removeOwnConsumer() {
        String self = consumerName;
        if (self == null) {
            return;
        }
        try {
            switch (goneConsumers.removeIfDone(self)) {
                case REMOVED -> LOG.debugf("consumer %s removed from group %s", self, store.group());
                case OWNS_PENDING -> LOG.infof(
                        "consumer %s stays in group %s: it still owns pending entries, which another gateway will reclaim",
                        self, store.group());
                case ABSENT -> { }
            }
        } catch (RuntimeException e) {
            LOG.debugf("consumer %s not removed at shutdown (another gateway will): %s", self, e.getMessage());
        }
    }

    /**
     * True while the reader takes entries: it is running and has come round its loop recently
     * (every {@code block} at the latest, unless Redis does not answer). The readiness check
     * reports it.
     */
    public boolean consuming() {
        Thread reader = threads.isEmpty() ? null : threads.get(0);
        long sinceLoop = System.nanoTime() - lastLoop;
        return running
                && reader != null
                && reader.isAlive()
                && sinceLoop < config.block().toNanos() + Duration.ofSeconds(10).toNanos();
    }

    /** Whether this gateway runs jobs at all ({@code unclip.jobs.worker.enabled}). */
    public boolean enabled() {
        return config.enabled();
    }

    private void consume(String consumerName) {
        Consumer<String> consumer = Consumer.from(store.group(), consumerName);
        StatefulRedisConnection<String, String> connection = null;
        long nextReclaim = 0;
        long backoff = 200;
        boolean groupReady = false;
        while (running) {
            lastLoop = System.nanoTime();
            try {
                if (connection == null) {
                    connection = redis.openDedicated(config.block());
                }
                if (!groupReady) {
                    store.ensureGroup();
                    groupReady = true;
                }
                RedisCommands<String, String> commands = connection.sync();
                // wait for a free job slot before taking anything off the stream
                if (!slots.tryAcquire(config.block().toMillis(), TimeUnit.MILLISECONDS)) {
                    continue;
                }
                // slots this reader holds; each dispatched entry takes one over to its job
                int[] held = {1 + slots.drainPermits()};
                try {
                    if (System.currentTimeMillis() >= nextReclaim) {
                        reclaim(commands, consumer, held);
                        nextReclaim = System.currentTimeMillis() + config.claimInterval().toMillis();
                    }
                    if (held[0] > 0) {
                        List<StreamMessage<String, String>> messages =
                                commands.xreadgroup(
                                        consumer,
                                        XReadArgs.Builder.block(config.block()).count(held[0]),
                                        XReadArgs.StreamOffset.lastConsumed(store.keys().stream()));
                        for (StreamMessage<String, String> message : messages) {
                            dispatch(consumer, message, held);
                        }
                    }
                } finally {
                    slots.release(held[0]);
                }
                backoff = 200;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RedisCommandExecutionException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                    groupReady = false; // the stream or group was deleted; recreate it
                } else {
                    LOG.warnf("job worker %s: Redis error: %s", consumerName, e.getMessage());
                    backoff = pause(backoff);
                }
            } catch (RedisException e) {
                if (!running) {
                    break;
                }
                LOG.warnf("job worker %s: Redis unreachable (%s); retrying in %d ms", consumerName, e.getMessage(), backoff);
                backoff = pause(backoff);
            } catch (RuntimeException | Error e) {
                // Nothing a single read does may end the reader: without it this gateway runs no job.
                LOG.errorf(e, "job worker %s: unexpected failure", consumerName);
                if (connection != null) {
                    closeQuietly(connection);
                    connection = null;
                }
                backoff = pause(backoff);
            }
        }
        if (connection != null) {
            connection.close();
        }
    }

    /** Takes over entries left pending by crashed consumers, as many as the reader holds slots for. */
    private void reclaim(RedisCommands<String, String> commands, Consumer<String> consumer, int[] held) {
        String cursor = "0-0";
        do {
            ClaimedMessages<String, String> claimed =
                    commands.xautoclaim(
                            store.keys().stream(),
                            XAutoClaimArgs.Builder.xautoclaim(consumer, config.claimMinIdle(), cursor).count(held[0]));
            for (StreamMessage<String, String> message : claimed.getMessages()) {
                LOG.infof("reclaimed stream entry %s from a consumer idle for over %s", message.getId(), config.claimMinIdle());
                dispatch(consumer, message, held);
            }
            cursor = claimed.getId();
        } while (running && held[0] > 0 && cursor != null && !"0-0".equals(cursor));
    }

    /**
     * Runs an entry on a job thread, handing one of the reader's {@code held} slots over to it; the
     * job gives the slot back when it ends.
     */
    private void dispatch(Consumer<String> consumer, StreamMessage<String, String> message, int[] held) {
        inFlight.put(message.getId(), consumer.getName());
        try {
            jobs.execute(() -> {
                try {
                    handle(consumer, message);
                } catch (RuntimeException e) {
                    LOG.warnf("job of stream entry %s left pending: %s", message.getId(), e.getMessage());
                } catch (Error e) {
                    LOG.errorf(e, "job of stream entry %s left pending", message.getId());
                } finally {
                    inFlight.remove(message.getId());
                    slots.release();
                }
            });
        } catch (RuntimeException e) {
            inFlight.remove(message.getId()); // not started: the entry stays pending for a reclaim
            throw e;
        }
        held[0]--;
    }

    private void handle(Consumer<String> consumer, StreamMessage<String, String> message) {
        String jobId = message.getBody() == null ? null : message.getBody().get(JobStore.STREAM_FIELD_JOB);
        if (jobId == null) {
            LOG.warnf("stream entry %s names no job; moving it to the dead-letter stream", message.getId());
            store.deadLetter(message.getId(), "", "the entry names no job");
        } else {
            run(jobId, consumer.getName(), message.getId());
        }
        // Only while the entry is still this consumer's: one another consumer reclaimed meanwhile
        // is that consumer's to acknowledge (if it crashes, the entry must stay pending).
        store.acknowledge(message.getId(), consumer.getName());
    }

    /** Runs one job to a terminal state, unless it is already there or nobody waits for it. */
    void run(String jobId, String worker, String entryId) {
        JobStore.StoredJob job = store.load(jobId).orElse(null);
        if (job == null) {
            LOG.warnf("job %s expired before a worker reached it; skipping", jobId);
            return;
        }
        if (job.status().state().isTerminal()) {
            LOG.debugf("job %s is already %s (a redelivered entry); skipping", jobId, job.status().state().wireName());
            return;
        }
        if (job.spec() == null) {
            // A spec this gateway cannot read (corrupt, or written by an incompatible version): it
            // would fail the same way on every replica, so it is not redelivered.
            LOG.warnf("job %s (stream entry %s) cannot be run: %s; failing it and moving the entry to the dead-letter stream",
                    jobId, entryId, job.specProblem());
            store.deadLetter(entryId, jobId, job.specProblem());
            store.failUnstarted(jobId, ApiError.server(500, "The job's stored request could not be read; it was not run.", "corrupt_job"));
            return;
        }
        Instant now = store.now();
        if (now.isAfter(job.waitUntil())) {
            store.failUnstarted(
                    jobId,
                    ApiError.server(
                            504,
                            "The job waited in the queue until its request gave up; it was not run.",
                            "queue_timeout"));
            discardWorkingData(jobId, job.spec());
            return;
        }
        Start start = store.start(jobId, worker, config.maxAttempts());
        if (start instanceof Start.NotRunnable notRunnable) {
            LOG.infof("job %s is %s; not running it", jobId, notRunnable.state());
            if (!"gone".equals(notRunnable.state())) {
                discardWorkingData(jobId, job.spec());
            }
            return;
        }
        if (start instanceof Start.CrashLoop loop) {
            store.deadLetter(entryId, jobId, "its runs crashed " + loop.crashes() + " times");
            store.failUnstarted(
                    jobId,
                    ApiError.server(
                            500,
                            "The job's runs ended without a result " + loop.crashes() + " times (a worker crashed each time); giving up.",
                            "too_many_attempts"));
            discardWorkingData(jobId, job.spec());
            return;
        }
        Start.Started started = (Start.Started) start;
        Attempt attempt = started.attempt();
        if (started.crashes() > 0) {
            LOG.infof("job %s: run %d after %d crashed run(s)", jobId, attempt.number(), started.crashes());
        }
        long begin = System.nanoTime();
        // Cancelling this context cancels every stage call made inside it (they run in child
        // contexts), so the stage stops within one step.
        // The job's stage calls are pinned to one model family (StageClients reads the pin here).
        FamilyPin pin = new FamilyPin();
        Context.CancellableContext context = Context.current().withValue(FamilyPin.KEY, pin).withCancellation();
        runningJobs.put(jobId, context);
        String outcome = "abandoned";
        // The job's span, a child of the request that submitted it; its stage calls are children of it.
        Span span = tracer.spanBuilder("job " + job.spec().kind())
                .setParent(JobTraces.parent(job.status().traceparent()))
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute("unclip.job.id", jobId)
                .setAttribute("unclip.job.run", attempt.number())
                .startSpan();
        try (Scope scope = span.makeCurrent()) {
            outcome = runStarted(job, attempt, entryId, context, pin, begin);
        } finally {
            span.setAttribute("unclip.job.outcome", outcome);
            if (outcome.equals("failed")) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
            runningJobs.remove(jobId, context);
            handingOver.remove(jobId);
            context.cancel(null);
            metrics.jobEnded(outcome, System.nanoTime() - begin);
            if (!outcome.equals("handed_over") && !outcome.equals("abandoned") && !outcome.equals("superseded")) {
                discardWorkingData(jobId, job.spec());
            }
        }
    }

    /**
     * Runs a started job's stages and records how it ended; answers the outcome for the metrics.
     *
     * @param started when the run started ({@link System#nanoTime()})
     */
    private String runStarted(JobStore.StoredJob job, Attempt attempt, String entryId, Context.CancellableContext context,
            FamilyPin pin, long started) {
        String jobId = attempt.jobId();
        try {
            List<ImageResult> images;
            try {
                List<byte[]> inputs = new ArrayList<>();
                for (int i = 0; i < job.spec().inputImages(); i++) {
                    byte[] input = store.input(jobId, i).orElse(null);
                    if (input == null) {
                        return recorded(attempt, store.fail(attempt, ApiError.server(500, "The input image of the " + job.spec().kind() + " has expired.", "input_expired")), "failed");
                    }
                    inputs.add(input);
                }
                ThrottledProgress progress = new ThrottledProgress(attempt, context);
                if (job.spec().variation()) {
                    images = context.call(() -> pipeline.runVariation(job.spec(), inputs.get(0), progress));
                } else if (job.spec().manipulation() != null) {
                    images = context.call(() -> manipulations.run(job.spec(), inputs, progress));
                } else {
                    images = context.call(() -> pipeline.run(job.spec(), progress, new Checkpoints(attempt, pin)));
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            // Images in hand: they are the job's result even if a shutdown began meanwhile.
            String outcome = recorded(attempt, settled(() -> store.succeed(attempt, images)), "succeeded");
            if (outcome.equals("succeeded")) {
                LOG.infof(
                        "job %s (request %s): %d image(s) in %d ms",
                        jobId, job.spec().requestId(), images.size(), Duration.ofNanos(System.nanoTime() - started).toMillis());
            }
            return outcome;
        } catch (StageException e) {
            if (handingOver.contains(jobId)) {
                return handOver(attempt, entryId);
            }
            if (context.isCancelled() || store.state(jobId).orElse(null) == JobState.CANCELLED) {
                LOG.infof("job %s (request %s) was cancelled; its %s call stopped", jobId, job.spec().requestId(), e.stage());
                return "cancelled";
            }
            ApiError error = StageErrors.toApiError(e);
            // A request the stages reject is the client's business, not an operational problem.
            LOG.logf(
                    error.status() < 500 ? Logger.Level.INFO : Logger.Level.WARN,
                    "job %s (request %s) failed: %s",
                    jobId,
                    job.spec().requestId(),
                    e.getMessage());
            return recorded(attempt, settled(() -> store.fail(attempt, error)), "failed");
        } catch (ApiException e) {
            // The request turned out to be unusable once the stages had answered (e.g. a text diff
            // whose captions encode alike): the client's business, like a stage's INVALID_ARGUMENT.
            LOG.infof("job %s (request %s) failed: %s", jobId, job.spec().requestId(), e.getMessage());
            return recorded(attempt, settled(() -> store.fail(attempt, e.error())), "failed");
        } catch (JobStoreException | RedisException e) {
            throw e; // the entry stays pending and is retried elsewhere
        } catch (RuntimeException | Error e) {
            if (handingOver.contains(jobId)) {
                return handOver(attempt, entryId);
            }
            LOG.errorf(e, "job %s (request %s) failed unexpectedly", jobId, job.spec().requestId());
            return recorded(attempt, settled(() -> store.fail(attempt, ApiError.server(500, "The server had an error while generating the images.", "internal_error"))), "failed");
        }
    }

    /**
     * Makes a run's final write, trying again while Redis does not answer (a restart, a failover)
     * for up to {@code claim-min-idle}: the work is done, and redoing it costs more than waiting.
     * After that the entry is left pending and the job is taken over like a crashed one.
     */
    private Write settled(java.util.function.Supplier<Write> write) {
        long end = System.nanoTime() + config.claimMinIdle().toNanos();
        long backoff = 100;
        while (true) {
            try {
                return write.get();
            } catch (JobStoreException | RedisException e) {
                if (System.nanoTime() + backoff * 1_000_000 > end) {
                    throw e;
                }
                LOG.warnf("could not record a job's outcome (%s); trying again in %d ms", e.getMessage(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = Math.min(backoff * 2, 1000);
            }
        }
    }

    /** The metrics outcome of a terminal write: {@code outcome} when written, else why not. */
    private static String recorded(Attempt attempt, Write write, String outcome) {
        return switch (write) {
            case DONE -> outcome;
            case CANCELLED -> "cancelled";
            case SUPERSEDED -> {
                LOG.warnf("job %s: run %d by %s was superseded by another run; its %s is dropped",
                        attempt.jobId(), attempt.number(), attempt.worker(), outcome);
                yield "superseded";
            }
            case GONE -> "expired";
        };
    }

    /** Gives a job whose calls were stopped for a shutdown back to the queue. */
    private String handOver(Attempt attempt, String entryId) {
        Write write = store.handOver(attempt, entryId);
        if (write == Write.DONE) {
            LOG.infof("job %s handed back to the queue (this gateway is shutting down)", attempt.jobId());
            return "handed_over";
        }
        return recorded(attempt, write, "handed_over");
    }

    private void discardWorkingData(String jobId, JobSpec spec) {
        try {
            store.discardWorkingData(jobId, spec.inputImages(), GenerationPipeline.CHECKPOINTED_STAGES);
        } catch (RuntimeException e) {
            LOG.debugf("could not drop the working data of job %s (it expires with the job): %s", jobId, e.getMessage());
        }
    }

    /**
     * The stage checkpoints of one run: read only when an earlier run may have left some. The model
     * family the job is pinned to is kept with them, and a run that resumes from them is pinned to it.
     */
    private final class Checkpoints implements org.unclip.gateway.stages.StageCheckpoints {
        private final Attempt attempt;
        private final FamilyPin pin;

        Checkpoints(Attempt attempt, FamilyPin pin) {
            this.attempt = attempt;
            this.pin = pin;
        }

        @Override
        public java.util.Optional<byte[]> load(String stage) {
            if (attempt.number() <= 1) {
                return java.util.Optional.empty();
            }
            try {
                java.util.Optional<byte[]> kept = store.checkpoint(attempt.jobId(), stage);
                if (kept.isPresent()) {
                    java.util.Optional<StageFamily> family = store.family(attempt.jobId());
                    family.ifPresent(pin::resume);
                    LOG.infof("job %s: run %d resumes after the %s stage of an earlier run (model family %s)",
                            attempt.jobId(), attempt.number(), stage, family.map(Object::toString).orElse("unrecorded"));
                }
                return kept;
            } catch (RuntimeException e) {
                LOG.debugf("could not read the %s checkpoint of job %s: %s", stage, attempt.jobId(), e.getMessage());
                return java.util.Optional.empty();
            }
        }

        @Override
        public void save(String stage, byte[] output) {
            try {
                java.util.Optional<StageFamily> family = pin.family();
                if (family.isPresent()) {
                    store.keepFamily(attempt.jobId(), family.get());
                }
                store.checkpoint(attempt.jobId(), stage, output);
            } catch (RuntimeException e) {
                LOG.debugf("could not keep the %s output of job %s: %s", stage, attempt.jobId(), e.getMessage());
            }
        }
    }

    /** Cancels the stage calls of running jobs whose state became {@code cancelled} in Redis. */
    private void pollCancellations() {
        for (Map.Entry<String, Context.CancellableContext> entry : runningJobs.entrySet()) {
            try {
                if (store.state(entry.getKey()).orElse(null) == JobState.CANCELLED) {
                    cancelRunning(entry.getKey(), entry.getValue());
                }
            } catch (RuntimeException e) {
                LOG.debugf("could not check job %s for cancellation: %s", entry.getKey(), e.getMessage());
            }
        }
    }

    private static void cancelRunning(String jobId, Context.CancellableContext context) {
        if (!context.isCancelled()) {
            LOG.infof("job %s was cancelled; cancelling its stage call", jobId);
            context.cancel(Status.CANCELLED.withDescription("the job was cancelled").asRuntimeException());
        }
    }

    /** Keeps in-flight entries from looking abandoned. */
    private void heartbeat() {
        for (Map.Entry<String, String> entry : inFlight.entrySet()) {
            try {
                if (!store.heartbeat(entry.getKey(), entry.getValue())) {
                    LOG.warnf("stream entry %s was reclaimed by another consumer; leaving it to that one", entry.getKey());
                    inFlight.remove(entry.getKey(), entry.getValue());
                }
            } catch (RuntimeException e) {
                LOG.debugf("heartbeat for entry %s failed: %s", entry.getKey(), e.getMessage());
            }
        }
    }

    private static void closeQuietly(StatefulRedisConnection<String, String> connection) {
        try {
            connection.close();
        } catch (RuntimeException e) {
            LOG.debugf("closing a reader connection failed: %s", e.getMessage());
        }
    }

    private long pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
        return Math.min(millis * 2, 5000);
    }

    private static String defaultConsumerName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "gateway";
        }
        String pid = Long.toString(ProcessHandle.current().pid());
        return host + "-" + pid + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Writes progress to the job hash and its event stream at most every {@code
     * progress-interval} (stage starts and ends always), previews at most every {@code
     * preview-interval}; cancels the job's calls as soon as a write finds it cancelled.
     */
    private final class ThrottledProgress implements org.unclip.gateway.stages.ProgressListener {
        private final Attempt attempt;
        private final String jobId;
        private final Context.CancellableContext context;
        private long lastWrite;
        private long lastPreview;
        private boolean wrote;
        private boolean previewed;

        ThrottledProgress(Attempt attempt, Context.CancellableContext context) {
            this.attempt = attempt;
            this.jobId = attempt.jobId();
            this.context = context;
        }

        @Override
        public void onProgress(String stage, int step, int totalSteps) {
            long now = System.nanoTime();
            boolean boundary = step == 0 || step == totalSteps;
            if (wrote && !boundary && now - lastWrite < progressInterval.toNanos()) {
                return;
            }
            wrote = true;
            lastWrite = now;
            try {
                Write write = store.progress(attempt, stage, step, totalSteps);
                if (write != Write.DONE) {
                    // cancelled, or another run owns the job now: this run's work is wasted
                    cancelRunning(jobId, context);
                }
            } catch (RuntimeException e) {
                LOG.debugf("could not record progress of job %s: %s", jobId, e.getMessage());
            }
        }

        @Override
        public void onPreview(String stage, int step, int totalSteps, ByteString png) {
            long now = System.nanoTime();
            if (previewed && now - lastPreview < previewInterval.toNanos()) {
                return;
            }
            previewed = true;
            lastPreview = now;
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("stage", stage);
            event.put("step", step);
            event.put("total_steps", totalSteps);
            event.put("png", Base64.getEncoder().encodeToString(Previews.shrink(png.toByteArray(), previewMaxSize)));
            try {
                store.event(jobId, "preview", event);
            } catch (RuntimeException e) {
                LOG.debugf("could not publish a preview of job %s: %s", jobId, e.getMessage());
            }
        }
    }
}
