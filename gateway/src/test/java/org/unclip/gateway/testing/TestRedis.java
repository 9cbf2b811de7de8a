package org.unclip.gateway.testing;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.unclip.gateway.redis.RedisConnections;

/** A connection of the tests' own to the Redis the gateway under test uses. */
public final class TestRedis implements AutoCloseable {

    public static final String URL =
            System.getenv().getOrDefault("UNCLIP_TEST_REDIS_URL", "redis://127.0.0.1:6379");

    private final ClientResources resources = RedisConnections.clientResources();
    private final RedisClient client = RedisClient.create(resources, URL);
    private final StatefulRedisConnection<String, String> connection = client.connect();

    public RedisCommands<String, String> sync() {
        return connection.sync();
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3000);
    }
}
