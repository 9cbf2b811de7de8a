package org.unclip.gateway.testing;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;

/**
 * Starts {@link FakeStages} before the application and points the gRPC clients at them; gives the
 * run its own Redis key prefix (so parallel runs do not collide) and deletes its keys at the end.
 * Tests receive the fakes in a field of type {@link FakeStages}.
 */
public class FakeStagesResource implements QuarkusTestResourceLifecycleManager {

    public static final String REDIS_URL = TestRedis.URL;

    private FakeStages stages;
    private String prefix;

    @Override
    public Map<String, String> start() {
        try {
            stages = new FakeStages();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        prefix = "unclip-test-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        // In test mode Quarkus gRPC clients use test-port, not port.
        return Map.of(
                "quarkus.grpc.clients.text-encoder.host", "127.0.0.1",
                "quarkus.grpc.clients.text-encoder.test-port", Integer.toString(stages.textEncoderPort()),
                "quarkus.grpc.clients.prior.host", "127.0.0.1",
                "quarkus.grpc.clients.prior.test-port", Integer.toString(stages.priorPort()),
                "quarkus.grpc.clients.decoder.host", "127.0.0.1",
                "quarkus.grpc.clients.decoder.test-port", Integer.toString(stages.decoderPort()),
                "unclip.redis.url", REDIS_URL,
                "unclip.redis.key-prefix", prefix);
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(stages, new TestInjector.MatchesType(FakeStages.class));
    }

    @Override
    public void stop() {
        try {
            if (stages != null) {
                stages.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteKeys(prefix);
    }

    /** Deletes every key under {@code prefix}. */
    static void deleteKeys(String prefix) {
        if (prefix == null) {
            return;
        }
        try (TestRedis redis = new TestRedis()) {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> keys =
                        redis.sync().scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(500));
                if (!keys.getKeys().isEmpty()) {
                    redis.sync().del(keys.getKeys().toArray(String[]::new));
                }
                cursor = keys;
            } while (!cursor.isFinished());
        }
    }
}
