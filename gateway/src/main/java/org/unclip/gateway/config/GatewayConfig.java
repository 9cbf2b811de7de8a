package org.unclip.gateway.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything the gateway can be told, under the {@code unclip.} prefix.
 *
 * <p>Every key can also be set through the environment: upper-case it and replace dots and dashes
 * with underscores ({@code unclip.redis.url} → {@code UNCLIP_REDIS_URL}).
 */
@ConfigMapping(prefix = "unclip")
public interface GatewayConfig {

    Redis redis();

    Jobs jobs();

    Stages stages();

    Api api();

    Tracing tracing();

    /**
     * Where the gateway sends its spans. Without an endpoint nothing is sent (see
     * {@code tracing.SpansKeptLocal}); {@code application.properties} hands the endpoint to Quarkus'
     * OpenTelemetry exporter ({@code quarkus.otel.exporter.otlp.endpoint}).
     */
    interface Tracing {
        /** An OTLP collector, e.g. {@code http://otel-collector:4317} (OTLP over gRPC); none by default. */
        Optional<String> otlpEndpoint();
    }

    /** Where the job queue lives. */
    interface Redis {
        /**
         * Lettuce URI, e.g. {@code redis://127.0.0.1:6379/0} or {@code rediss://user:pw@host:6380}
         * (a password in the URL must be percent-encoded; {@link #password()} need not be).
         */
        @WithDefault("redis://127.0.0.1:6379")
        String url();

        /**
         * Password the gateway sends with AUTH (Redis {@code requirepass}, or an ACL user's);
         * wins over one in {@link #url()}. Never logged. Environment: {@code
         * UNCLIP_REDIS_PASSWORD}, best from a secret.
         */
        Optional<String> password();

        /** ACL user to AUTH as (with the password); wins over one in {@link #url()}. Default: Redis's {@code default} user. */
        Optional<String> username();

        /** Prepended to every key and channel the gateway touches. */
        @WithDefault("unclip:")
        String keyPrefix();

        /** Upper bound on a single non-blocking Redis command. */
        @WithDefault("5s")
        Duration commandTimeout();
    }

    /** The job queue: one stream, one consumer group, job and result hashes. */
    interface Jobs {
        /** Stream name; the stream key is {@code key-prefix + stream}. */
        @WithDefault("jobs")
        String stream();

        /** Consumer group shared by every gateway replica. */
        @WithDefault("unclip-workers")
        String group();

        /** Approximate cap on the stream length (XADD MAXLEN ~). */
        @WithDefault("100000")
        long streamMaxLength();

        /** How long a job's hash lives (refreshed when the job finishes). */
        @WithDefault("1h")
        Duration jobTtl();

        /** How long generated images are kept (and their URLs served). */
        @WithDefault("1h")
        Duration resultTtl();

        /** How long an HTTP request waits for its job; a job nobody waits for any more is skipped. */
        @WithDefault("10m")
        Duration waitTimeout();

        /** Fallback poll of the job hash for waiters that missed their pub/sub notification. */
        @WithDefault("500ms")
        Duration pollInterval();

        /** Most jobs waiting in the queue (not yet started); beyond it submissions get 429. */
        @WithDefault("100")
        int maxQueued();

        /**
         * Most queued jobs of one API key (when API keys are set), so that one key cannot fill the
         * queue and starve the others; beyond it that key gets 429. 0 = no per-key bound.
         */
        @WithDefault("25")
        int maxQueuedPerKey();

        /** {@code Retry-After} sent with a 429 when the queue is full. */
        @WithDefault("5s")
        Duration queueFullRetryAfter();

        /** How long an {@code Idempotency-Key} is remembered. */
        @WithDefault("24h")
        Duration idempotencyTtl();

        /** Least time between two decoder preview events of one job. */
        @WithDefault("500ms")
        Duration previewInterval();

        /** Previews larger than this (pixels, either side) are scaled down before they are stored; 0 = never. */
        @WithDefault("64")
        int previewMaxSize();

        /** Least time between two progress writes (hash and event) of one job; stage ends always go out. */
        @WithDefault("100ms")
        Duration progressInterval();

        /** Approximate cap on the entries of one job's event stream. */
        @WithDefault("1000")
        long eventStreamMaxLength();

        /**
         * Most job event streams (SSE) open at once on this gateway; each holds a thread and a Redis
         * connection. Beyond it a new stream gets 429 with {@code Retry-After}.
         */
        @WithDefault("256")
        int maxEventStreams();

        /** How long an SSE reader blocks on the job's event stream before checking the job again. */
        @WithDefault("2s")
        Duration eventsBlock();

        Worker worker();
    }

    /** The stream consumers that run jobs inside this gateway process. */
    interface Worker {
        @WithDefault("true")
        boolean enabled();

        /**
         * Most jobs this gateway runs at once (each on its own job thread); the stages' own limits
         * are {@code unclip.stages.*-max-in-flight}.
         */
        @WithDefault("32")
        int maxInFlight();

        /** XREADGROUP BLOCK time; also how quickly a worker notices shutdown. */
        @WithDefault("2s")
        Duration block();

        /**
         * A pending entry idle this long belongs to a crashed worker and is reclaimed (XAUTOCLAIM).
         * Running jobs refresh their entries every third of this, so it need not exceed job length.
         */
        @WithDefault("60s")
        Duration claimMinIdle();

        /** How often each worker looks for abandoned entries. */
        @WithDefault("15s")
        Duration claimInterval();

        /**
         * A job whose runs ended this many times without a word (their worker crashed: a crash
         * loop) is failed instead of run again. A job handed back by a gateway that shut down
         * does not count.
         */
        @WithDefault("3")
        int maxAttempts();

        /**
         * On shutdown, how long running jobs may take to finish before they are handed back to the
         * queue (their stage calls stopped; another gateway resumes them after their last finished
         * stage).
         */
        @WithDefault("5s")
        Duration shutdownGrace();

        /** How often a worker checks whether its running jobs were cancelled (from any replica). */
        @WithDefault("200ms")
        Duration cancelPollInterval();

        /**
         * A consumer of the group idle this long that owns no pending entries belonged to a
         * gateway that is gone: it is removed from the group (XGROUP DELCONSUMER). Every gateway
         * looks for such consumers when it starts and every {@code gone-consumer-sweep}; a gateway
         * that stops removes its own consumer once it owns nothing. Must exceed twice {@code block}.
         */
        @WithDefault("10m")
        Duration goneConsumerIdle();

        /** How often a gateway looks for consumers of gone gateways. */
        @WithDefault("1m")
        Duration goneConsumerSweep();

        /** Consumer name prefix; default: host name and process id. */
        Optional<String> consumerName();
    }

    /** The three stage services. Hosts and ports live under {@code quarkus.grpc.clients.*}. */
    interface Stages {
        @WithDefault("30s")
        Duration textEncoderDeadline();

        @WithDefault("5m")
        Duration priorDeadline();

        @WithDefault("10m")
        Duration decoderDeadline();

        /**
         * Tries of a stage call that keeps answering UNAVAILABLE, at least (1 = no retry unless
         * {@code unavailable-retry-for} allows more).
         */
        @WithDefault("3")
        int maxAttempts();

        /**
         * How long a stage call that answers UNAVAILABLE (its replicas restarting, a rollout) keeps
         * being tried, back-off doubling from {@code retry-backoff} up to 2 s, before the job fails;
         * a stage back within this time costs the job only the wait.
         */
        @WithDefault("60s")
        Duration unavailableRetryFor();

        /** Back-off before the first retry; doubled for each further one. */
        @WithDefault("250ms")
        Duration retryBackoff();

        /**
         * Longest back-off between two tries of a stage that answers RESOURCE_EXHAUSTED (at capacity);
         * such a call is tried again, on any replica, until its stage deadline has passed.
         */
        @WithDefault("2s")
        Duration busyBackoffMax();

        /**
         * Tries of a job's stage call that replicas serving another model family than the job's
         * refuse (FAILED_PRECONDITION), each at once on the next replica, before the job fails with
         * {@code model_family_mismatch}.
         */
        @WithDefault("8")
        int familyMismatchAttempts();

        /** Most calls this gateway makes to the text encoder at once (its jobs wait for a free one). */
        @WithDefault("64")
        int textEncoderMaxInFlight();

        /** Most calls this gateway makes to the prior at once. */
        @WithDefault("32")
        int priorMaxInFlight();

        /** Most calls this gateway makes to the decoder at once. */
        @WithDefault("32")
        int decoderMaxInFlight();
    }

    /** The public REST contract. */
    interface Api {
        /** Allowed {@code size} values, square {@code WxW}; the first one is the default. */
        @WithDefault("256x256,64x64")
        List<String> sizes();

        @WithDefault("1000")
        int maxPromptLength();

        @WithDefault("10")
        int maxImages();

        /**
         * Most frames of an interpolation or text diff (they are decoded in one call, and the
         * decoder takes at most 16 images).
         */
        @WithDefault("16")
        int maxFrames();

        /** {@code b64_json} or {@code url}, used when a request names none. */
        @WithDefault("b64_json")
        String defaultResponseFormat();

        /**
         * Largest request body of an endpoint that takes no images ({@code POST
         * /v1/images/generations}, and every endpoint not named under {@link #maxImageBodySize});
         * beyond it 413. A generation body is a few KB.
         */
        @WithDefault("64K")
        MemorySize maxBodySize();

        /**
         * Largest request body of the endpoints that take images: {@code /v1/images/variations},
         * {@code /edits}, {@code /interpolations}, {@code /text_diffs} and {@code POST /v1/jobs}
         * (which takes every kind); beyond it 413. Two base64 PNGs of 4 MB each fit in 16M.
         * {@code quarkus.http.limits.max-body-size} bounds both.
         */
        @WithDefault("16M")
        MemorySize maxImageBodySize();

        /** Base for image URLs (e.g. {@code https://images.example.com}); default: the request's. */
        Optional<String> publicBaseUrl();

        /**
         * API keys a client must send as {@code Authorization: Bearer <key>} on every {@code /v1}
         * call; none configured (the default) leaves the API open. Image result URLs stay
         * reachable without a key: like OpenAI's, they are unguessable and expire.
         */
        Optional<List<String>> keys();
    }
}
