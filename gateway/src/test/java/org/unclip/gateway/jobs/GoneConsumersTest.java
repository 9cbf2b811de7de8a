package org.unclip.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.TestRedis;

/**
 * Consumers of gone gateways against the real Redis (a stream of this test's own under the key
 * prefix {@code unclip-test-gone:}): idle ones that own nothing are removed, one that owns a
 * pending entry stays until another consumer has reclaimed it, live ones and the caller stay.
 */
class GoneConsumersTest {

    private static final Duration IDLE = Duration.ofMillis(400);

    private static TestRedis testRedis;
    private String stream;
    private final String group = "workers";

    @BeforeAll
    static void connect() {
        testRedis = new TestRedis();
    }

    @AfterAll
    static void disconnect() {
        testRedis.close();
    }

    @BeforeEach
    void createStream() {
        stream = "unclip-test-gone:" + UUID.randomUUID() + ":jobs";
        redis().xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), group, XGroupCreateArgs.Builder.mkstream());
    }

    @AfterEach
    void deleteStream() {
        redis().del(stream);
    }

    private static RedisCommands<String, String> redis() {
        return testRedis.sync();
    }

    private GoneConsumers goneConsumers() {
        return new GoneConsumers(GoneConsumersTest::redis, stream, group, IDLE);
    }

    /**
     * A consumer that owns nothing, idle from now. (An XREADGROUP that reads nothing neither creates
     * a consumer nor, before Redis 7.2, resets its idle time: XGROUP CREATECONSUMER does both.)
     */
    private void create(String consumer) {
        assertThat(redis().xgroupCreateconsumer(stream, Consumer.from(group, consumer))).isTrue();
    }

    /** One XREADGROUP by a consumer (creating it); answers what it read. */
    private List<StreamMessage<String, String>> read(String consumer) {
        return redis().xreadgroup(
                Consumer.from(group, consumer), XReadArgs.Builder.count(1), XReadArgs.StreamOffset.lastConsumed(stream));
    }

    private List<String> consumers() {
        List<String> names = new ArrayList<>();
        for (Object entry : redis().xinfoConsumers(stream, group)) {
            List<?> fields = (List<?>) entry;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("name".equals(String.valueOf(fields.get(i)))) {
                    names.add(String.valueOf(fields.get(i + 1)));
                }
            }
        }
        return names;
    }

    @Test
    void idleConsumersOwningNothingGo_theOneOwningAnEntryStays_untilItsEntryIsReclaimed() throws Exception {
        String entry = redis().xadd(stream, Map.of("job", "j1"));
        assertThat(read("crashed")).singleElement().satisfies(m -> assertThat(m.getId()).isEqualTo(entry));
        create("stopped-long-ago");
        create("self");
        Thread.sleep(IDLE.toMillis() + 200);
        create("live"); // idle for less than the bound

        List<String> removed = goneConsumers().sweep("self");

        assertThat(removed).containsExactly("stopped-long-ago");
        assertThat(consumers()).containsExactlyInAnyOrder("crashed", "self", "live");
        PendingMessages pending = redis().xpending(stream, group);
        assertThat(pending.getCount()).as("the crashed consumer's entry is still pending").isEqualTo(1);
        assertThat(pending.getConsumerMessageCount()).containsEntry("crashed", 1L);

        // Another gateway reclaims the entry (as JobWorker does after claim-min-idle): the crashed
        // consumer then owns nothing and goes at the next sweep, the entry stays pending for "live".
        var claimed = redis().xautoclaim(stream, XAutoClaimArgs.Builder.xautoclaim(Consumer.from(group, "live"), Duration.ZERO, "0-0"));
        assertThat(claimed.getMessages()).extracting(StreamMessage::getId).containsExactly(entry);
        assertThat(goneConsumers().sweep("self")).containsExactly("crashed");
        assertThat(consumers()).containsExactlyInAnyOrder("self", "live");
        assertThat(redis().xpending(stream, group).getConsumerMessageCount()).containsExactly(Map.entry("live", 1L));
    }

    @Test
    void consumersIdleForLessThanTheBound_stay() {
        create("recent");
        assertThat(goneConsumers().sweep("self")).isEmpty();
        assertThat(consumers()).containsExactly("recent");
    }

    @Test
    void aStoppingGatewayRemovesItsOwnConsumer_onlyOnceItOwnsNothing() {
        redis().xadd(stream, Map.of("job", "j1"));
        assertThat(read("stopping")).hasSize(1);
        assertThat(goneConsumers().removeIfDone("stopping")).isEqualTo(GoneConsumers.Removal.OWNS_PENDING);
        assertThat(consumers()).containsExactly("stopping");

        StreamMessage<String, String> message = redis().xrange(stream, io.lettuce.core.Range.create("-", "+")).get(0);
        redis().xack(stream, group, message.getId());
        assertThat(goneConsumers().removeIfDone("stopping")).isEqualTo(GoneConsumers.Removal.REMOVED);
        assertThat(consumers()).isEmpty();
        assertThat(goneConsumers().removeIfDone("stopping")).isEqualTo(GoneConsumers.Removal.ABSENT);
    }

    @Test
    void withoutStreamOrGroup_nothingIsRemovedAndNothingFails() {
        GoneConsumers noStream = new GoneConsumers(GoneConsumersTest::redis, stream + ":absent", group, IDLE);
        assertThat(noStream.sweep("self")).isEmpty();
        assertThat(noStream.removeIfDone("self")).isEqualTo(GoneConsumers.Removal.ABSENT);
        GoneConsumers noGroup = new GoneConsumers(GoneConsumersTest::redis, stream, "absent-group", IDLE);
        assertThat(noGroup.sweep("self")).isEmpty();
        assertThat(redis().exists(stream + ":absent")).isZero();
    }

    @Test
    void aBoundOfZeroIsRefused() {
        assertThatThrownBy(() -> new GoneConsumers(GoneConsumersTest::redis, stream, group, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gone-consumer-idle");
    }
}
