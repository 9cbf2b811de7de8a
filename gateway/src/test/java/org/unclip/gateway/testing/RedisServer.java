package org.unclip.gateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway {@code redis-server} of a test's own, on a free loopback port, without persistence
 * (for settings the shared Redis on 6379 must not get, such as a password). {@code
 * UNCLIP_TEST_REDIS_SERVER} names the executable; default {@code /usr/bin/redis-server}.
 */
public final class RedisServer implements AutoCloseable {

    public static final Path EXECUTABLE = Path.of(System.getenv().getOrDefault("UNCLIP_TEST_REDIS_SERVER", "/usr/bin/redis-server"));

    private final Process process;
    private final int port;
    private final Path dir;

    private RedisServer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static boolean available() {
        return Files.isExecutable(EXECUTABLE);
    }

    /** Starts a server with these extra arguments (e.g. {@code --requirepass pw}); returns once it accepts connections. */
    public static RedisServer start(String... arguments) {
        try {
            int port = freePort();
            Path dir = Files.createTempDirectory("unclip-redis-");
            List<String> command =
                    new ArrayList<>(List.of(EXECUTABLE.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString()));
            command.addAll(List.of(arguments));
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
            RedisServer server = new RedisServer(process, port, dir);
            server.awaitListening();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>}, without credentials. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** A loopback port nothing listens on (at the time of asking). */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with " + process.exitValue() + ": " + log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(50);
            }
        }
        stop();
        throw new IOException("redis-server did not listen on " + port + " within 10 s: " + log());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after 5 s); stopping a stopped one does nothing. */
    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temporary folder left behind
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
