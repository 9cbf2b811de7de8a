package org.unclip.gateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.PasswordRedisResource;
import org.unclip.gateway.testing.RedisServer;

/**
 * {@code /q/health/ready} against a Redis that requires a password: up while the gateway's
 * {@code unclip.redis.password} gets it through, and once Redis is gone, down with the one word
 * {@code unreachable}: no exception text, address or password (the endpoint is open to anyone).
 */
@QuarkusTest
@QuarkusTestResource(value = PasswordRedisResource.class, restrictToAnnotatedClass = true)
class RedisHealthCheckTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TestHTTPResource("/")
    URI base;

    /** Null without redis-server: then only the down half runs. */
    RedisServer server;

    String redisPassword;

    private HttpResponse<String> ready() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve("/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode redisCheck(HttpResponse<String> response) throws Exception {
        for (JsonNode check : JSON.readTree(response.body()).path("checks")) {
            if (check.path("name").asText().equals("redis")) {
                return check;
            }
        }
        throw new AssertionError("no redis check in " + response.body());
    }

    @Test
    void readiness_isUpWithThePassword_andOnceRedisIsGone_saysOnlyUnreachable() throws Exception {
        if (server != null) {
            // Every readiness check, the job reader's too, is up once its connections have authenticated.
            HttpResponse<String> up = ready();
            long upDeadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (up.statusCode() != 200 && System.nanoTime() < upDeadline) {
                Thread.sleep(200);
                up = ready();
            }
            assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
            assertThat(redisCheck(up).path("status").asText()).isEqualTo("UP");
            server.stop();
        } else {
            System.out.println("RedisHealthCheckTest: no redis-server at " + RedisServer.EXECUTABLE + "; the password half is skipped");
        }

        HttpResponse<String> down = ready();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!redisCheck(down).path("status").asText().equals("DOWN") && System.nanoTime() < deadline) {
            Thread.sleep(200);
            down = ready();
        }

        assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
        JsonNode check = redisCheck(down);
        assertThat(check.path("status").asText()).isEqualTo("DOWN");
        assertThat(check.path("data").size()).as(down.body()).isEqualTo(1);
        assertThat(check.path("data").path("error").asText()).isEqualTo("unreachable");
        assertThat(down.body())
                .doesNotContain(redisPassword)
                .doesNotContainIgnoringCase("exception")
                .doesNotContain("127.0.0.1")
                .doesNotContainIgnoringCase("refused")
                .doesNotContain("NOAUTH");
    }
}
