package org.unclip.gateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.lettuce.core.RedisException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.config.GatewayConfig;
import org.unclip.gateway.testing.RedisServer;

/**
 * Credentials for Redis, in the URL or in {@code unclip.redis.username} / {@code password},
 * against a {@code redis-server} of the test's own that requires a password and has an ACL user.
 */
class RedisConnectionsTest {

    private static final String PASSWORD = "p@ss:w/rd %1 " + Long.toHexString(System.nanoTime());
    private static final String ALICE_PASSWORD = "alice-" + Long.toHexString(System.nanoTime());

    private static RedisServer server;

    @BeforeAll
    static void startServer() {
        Assumptions.assumeTrue(RedisServer.available(), "no redis-server at " + RedisServer.EXECUTABLE + " (UNCLIP_TEST_REDIS_SERVER): skipped");
        server = RedisServer.start("--requirepass", PASSWORD, "--user", "alice", "on", ">" + ALICE_PASSWORD, "~*", "&*", "+@all");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private record Settings(String url, Optional<String> password, Optional<String> username) implements GatewayConfig.Redis {
        Settings(String url) {
            this(url, Optional.empty(), Optional.empty());
        }

        @Override
        public String keyPrefix() {
            return "unclip-test:";
        }

        @Override
        public Duration commandTimeout() {
            return Duration.ofSeconds(2);
        }
    }

    private static String ping(Settings settings) {
        RedisConnections redis = new RedisConnections(RedisConnections.uri(settings), settings.commandTimeout());
        try {
            return redis.commands().ping();
        } finally {
            redis.close();
        }
    }

    private static String encoded(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String everythingAbout(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    @Test
    void thePasswordSetting_authenticates_asItIs() {
        assertThat(ping(new Settings(server.url(), Optional.of(PASSWORD), Optional.empty()))).isEqualTo("PONG");
    }

    @Test
    void aPasswordInTheUrl_authenticates_percentEncoded() {
        assertThat(ping(new Settings("redis://:" + encoded(PASSWORD) + "@127.0.0.1:" + server.port()))).isEqualTo("PONG");
    }

    @Test
    void anAclUser_inTheUrl_orInTheSettings() {
        assertThat(ping(new Settings("redis://alice:" + ALICE_PASSWORD + "@127.0.0.1:" + server.port()))).isEqualTo("PONG");
        assertThat(ping(new Settings(server.url(), Optional.of(ALICE_PASSWORD), Optional.of("alice")))).isEqualTo("PONG");
        // The settings win over the URL's credentials.
        assertThat(ping(new Settings("redis://alice:wrong@127.0.0.1:" + server.port(), Optional.of(PASSWORD), Optional.of("default"))))
                .isEqualTo("PONG");
    }

    @Test
    void withoutThePassword_redisRefuses() {
        Throwable refused = catchThrowable(() -> ping(new Settings(server.url())));

        assertThat(refused).isInstanceOf(RedisException.class);
        assertThat(everythingAbout(refused)).contains("NOAUTH");
    }

    @Test
    void aWrongPassword_isRefused_andNeverRepeated() {
        String wrong = "not-the-password-" + Long.toHexString(System.nanoTime());

        Throwable refused = catchThrowable(() -> ping(new Settings(server.url(), Optional.of(wrong), Optional.empty())));
        Throwable refusedFromUrl = catchThrowable(() -> ping(new Settings("redis://:" + wrong + "@127.0.0.1:" + server.port())));

        assertThat(refused).isInstanceOf(RedisException.class);
        assertThat(everythingAbout(refused)).doesNotContain(wrong);
        assertThat(refusedFromUrl).isInstanceOf(RedisException.class);
        assertThat(everythingAbout(refusedFromUrl)).doesNotContain(wrong);
    }

    @Test
    void theUri_doesNotShowThePassword() {
        String url = "redis://alice:" + ALICE_PASSWORD + "@127.0.0.1:" + server.port();

        assertThat(RedisConnections.uri(new Settings(url)).toString()).doesNotContain(ALICE_PASSWORD);
        assertThat(RedisConnections.uri(new Settings(server.url(), Optional.of(PASSWORD), Optional.empty())).toString())
                .doesNotContain(PASSWORD);
    }

    @Test
    void anUnreadableUrl_isRefused_withoutRepeatingIt() {
        // Lettuce's own complaint would quote the whole URL, password included.
        String url = "redis://alice:" + ALICE_PASSWORD + "@127.0.0.1:" + server.port() + " x";

        assertThatThrownBy(() -> RedisConnections.uri(new Settings(url)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unclip.redis.url")
                .satisfies(e -> assertThat(everythingAbout(e)).doesNotContain(ALICE_PASSWORD));
    }
}
