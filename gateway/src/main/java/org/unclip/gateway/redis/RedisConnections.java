package org.unclip.gateway.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.jboss.logging.Logger;
import org.unclip.gateway.config.GatewayConfig;

/**
 * The Lettuce client and the connection shared by all non-blocking commands.
 *
 * <p>Credentials come from the URL or from {@code unclip.redis.username} / {@code password} (see
 * {@link #uri}); Lettuce sends AUTH on every connection it opens, reconnections included.
 *
 * <p>Connections are opened lazily, so the gateway starts (and reports itself not ready) while
 * Redis is down. Blocking commands ({@code XREADGROUP ... BLOCK}) must not run on the shared
 * connection, which would stall every other command behind them: each stream consumer opens a
 * {@linkplain #openDedicated(Duration) dedicated} connection.
 */
@ApplicationScoped
public class RedisConnections {

    private static final Logger LOG = Logger.getLogger(RedisConnections.class);

    private final ClientResources resources;
    private final RedisClient client;
    private final Duration commandTimeout;
    private volatile StatefulRedisConnection<String, String> shared;

    @Inject
    public RedisConnections(GatewayConfig config) {
        this(uri(config.redis()), config.redis().commandTimeout());
    }

    RedisConnections(RedisURI uri, Duration commandTimeout) {
        this.commandTimeout = commandTimeout;
        uri.setTimeout(commandTimeout);
        this.resources = clientResources();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(
                ClientOptions.builder()
                        .autoReconnect(true)
                        // Fail fast while disconnected instead of queueing commands until memory runs out.
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .timeoutOptions(TimeoutOptions.enabled())
                        .build());
    }

    /**
     * The Lettuce URI of {@code unclip.redis.url}, with {@code unclip.redis.username} and {@code
     * password} when they are set (they win over the URL's own). A URL Lettuce cannot read is
     * refused without repeating it, as it may hold the password.
     */
    static RedisURI uri(GatewayConfig.Redis config) {
        RedisURI uri;
        try {
            uri = RedisURI.create(config.url());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "unclip.redis.url is not a Redis URI such as redis://[user:password@]host[:port][/database] or rediss://...: "
                            + e.getClass().getSimpleName());
        }
        config.username().filter(u -> !u.isBlank()).ifPresent(uri::setUsername);
        config.password().filter(p -> !p.isEmpty()).ifPresent(p -> uri.setPassword(p.toCharArray()));
        return uri;
    }

    /**
     * Lettuce's I/O resources as the gateway uses them; also for tools and tests that talk to the
     * same Redis. The caller shuts them down after its clients.
     */
    public static ClientResources clientResources() {
        return DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .build();
    }

    /** Synchronous commands on the shared connection; thread-safe. */
    public RedisCommands<String, String> commands() {
        return shared().sync();
    }

    /** The shared connection, opened on first use. */
    public StatefulRedisConnection<String, String> shared() {
        StatefulRedisConnection<String, String> connection = shared;
        if (connection == null) {
            synchronized (this) {
                connection = shared;
                if (connection == null) {
                    connection = client.connect();
                    shared = connection;
                    LOG.debug("opened the shared Redis connection");
                }
            }
        }
        return connection;
    }

    /**
     * A connection of its own for one blocking consumer; the caller closes it.
     *
     * @param blockFor the longest time a command on it may block; added to the command timeout
     */
    public StatefulRedisConnection<String, String> openDedicated(Duration blockFor) {
        StatefulRedisConnection<String, String> connection = client.connect();
        connection.setTimeout(commandTimeout.plus(blockFor));
        return connection;
    }

    /** A pub/sub connection; the caller closes it. Lettuce re-subscribes after reconnecting. */
    public StatefulRedisPubSubConnection<String, String> openPubSub() {
        return client.connectPubSub();
    }

    @PreDestroy
    void close() {
        StatefulRedisConnection<String, String> connection = shared;
        if (connection != null) {
            connection.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(3000);
    }
}
