package org.unclip.gateway.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;

/**
 * Points the gateway at a {@link RedisServer} of its own that requires a password, given as {@code
 * unclip.redis.password} (the URL has none). Started after {@link FakeStagesResource}, whose
 * Redis settings it replaces. Without {@code redis-server} the URL names a port nothing listens
 * on, and the test receives no server. Tests receive the server in a field of type {@link
 * RedisServer} and the password in a {@code String} field named {@code redisPassword}.
 */
public class PasswordRedisResource implements QuarkusTestResourceLifecycleManager {

    private final String password = "pw " + UUID.randomUUID();
    private RedisServer server;

    @Override
    public Map<String, String> start() {
        String url;
        if (RedisServer.available()) {
            server = RedisServer.start("--requirepass", password);
            url = server.url();
        } else {
            try {
                url = "redis://127.0.0.1:" + RedisServer.freePort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Map.of("unclip.redis.url", url, "unclip.redis.password", password, "unclip.redis.key-prefix", "unclip-health:");
    }

    @Override
    public int order() {
        return 1;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(server, new TestInjector.MatchesType(RedisServer.class));
        injector.injectIntoFields(password, field -> field.getName().equals("redisPassword") && field.getType() == String.class);
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
