package org.unclip.gateway.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The whole mesh as separate processes: the three packaged stage services and the packaged
 * gateway, each a {@code java -jar} child on free loopback ports, talking to the Redis on
 * 127.0.0.1:6379 under a key prefix of their own. Logs go to {@code target/e2e-logs}.
 */
final class Mesh implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

    private final List<Process> processes = new ArrayList<>();
    /** Processes a test stopped on purpose. */
    private final java.util.Set<Process> stopped = new java.util.HashSet<>();
    private final List<Integer> healthPorts = new ArrayList<>();
    private final java.util.Map<String, Process> byName = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, Integer> httpPorts = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, List<String>> launchProperties = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, String> modules = new java.util.LinkedHashMap<>();
    private final Path logs;
    private final int gatewayPort;
    private Path root;
    private List<String> gatewayProperties = List.of();
    private String keyPrefix;

    private Mesh(Path logs, int gatewayPort) {
        this.logs = logs;
        this.gatewayPort = gatewayPort;
    }

    static Mesh start(Path root, Path family) throws IOException, InterruptedException {
        return start(root, family, 1);
    }

    /**
     * The mesh with {@code decoderReplicas} decoder processes (named {@code decoder-svc},
     * {@code decoder-svc.2}, ...); the gateway spreads its decoder calls over all of them.
     */
    static Mesh start(Path root, Path family, int decoderReplicas) throws IOException, InterruptedException {
        return start(root, family, decoderReplicas, new String[0]);
    }

    /** The mesh, its gateway started with extra {@code -D} settings (later gateways get them too). */
    static Mesh start(Path root, Path family, int decoderReplicas, String... gatewaySettings)
            throws IOException, InterruptedException {
        List<Path> decoders = new ArrayList<>();
        for (int k = 0; k < decoderReplicas; k++) {
            decoders.add(family);
        }
        return start(root, List.of(family), List.of(family), decoders, gatewaySettings);
    }

    /**
     * The mesh with one replica per family folder listed for each stage (the second replica named
     * {@code <stage>.2}, and so on), e.g. a prior replica serving another family beside one serving
     * the family of the rest.
     */
    static Mesh start(Path root, List<Path> textEncoders, List<Path> priors, List<Path> decoders,
            String... gatewaySettings) throws IOException, InterruptedException {
        Path logs = root.resolve("gateway/target/e2e-logs");
        Files.createDirectories(logs);
        Mesh mesh = new Mesh(logs, freePort());
        try {
            String[] stages = {"text-encoder-svc", "prior-svc", "decoder-svc"};
            String[] clients = {"text-encoder", "prior", "decoder"};
            List<List<Path>> families = List.of(textEncoders, priors, decoders);
            List<String> gateway = new ArrayList<>();
            for (int i = 0; i < stages.length; i++) {
                int replicas = families.get(i).size();
                List<String> hosts = new ArrayList<>();
                int firstPort = 0;
                for (int k = 1; k <= replicas; k++) {
                    int grpc = freePort();
                    firstPort = k == 1 ? grpc : firstPort;
                    hosts.add("127.0.0.1:" + grpc);
                    mesh.launch(
                            root,
                            stages[i],
                            k == 1 ? stages[i] : stages[i] + "." + k,
                            freePort(),
                            "-Dunclip.family.dir=" + families.get(i).get(k - 1).toAbsolutePath(),
                            "-Dquarkus.grpc.server.port=" + grpc);
                }
                gateway.add("-Dquarkus.grpc.clients." + clients[i] + ".port=" + firstPort);
                if (replicas > 1) {
                    gateway.add("-Dquarkus.grpc.clients." + clients[i] + ".name-resolver=list");
                    gateway.add("-Dquarkus.grpc.clients." + clients[i] + ".host=" + String.join(",", hosts));
                }
            }
            String prefix = "unclip-e2e-" + UUID.randomUUID().toString().substring(0, 8) + ":";
            gateway.add("-Dunclip.redis.key-prefix=" + prefix);
            gateway.addAll(List.of(gatewaySettings));
            mesh.root = root;
            mesh.keyPrefix = prefix;
            mesh.gatewayProperties = List.copyOf(gateway);
            mesh.launch(root, "gateway", "gateway", mesh.gatewayPort, gateway.toArray(String[]::new));
            mesh.awaitReady();
            return mesh;
        } catch (IOException | InterruptedException | RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + gatewayPort + path);
    }

    /** A URI on the HTTP port of the named process (e.g. its {@code /q/metrics}). */
    URI uri(String process, String path) {
        return URI.create("http://127.0.0.1:" + httpPorts.get(process) + path);
    }

    /** The Redis key prefix of this mesh's gateways. */
    String keyPrefix() {
        return keyPrefix;
    }

    /**
     * Starts another gateway process named {@code name}, on the same stages and Redis keys as the
     * first, with extra {@code -D} settings; returns when it is ready.
     */
    void startGateway(String name, String... properties) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(gatewayProperties);
        all.addAll(List.of(properties));
        int port = freePort();
        launch(root, "gateway", name, port, all.toArray(String[]::new));
        awaitReady(port);
    }

    /** Starts the named process again, with its first settings and ports; returns when it is ready. */
    void restart(String process) throws IOException, InterruptedException {
        Process old = byName.get(process);
        if (old != null && old.isAlive()) {
            throw new IllegalStateException(process + " still runs");
        }
        launch(root, modules.get(process), process, httpPorts.get(process), launchProperties.get(process).toArray(String[]::new));
        awaitReady(httpPorts.get(process));
    }

    /**
     * Starts the named process again, on its ports, with its first settings followed by {@code
     * overrides} (a later {@code -D} wins); returns when it is ready.
     */
    void restartWith(String process, String... overrides) throws IOException, InterruptedException {
        Process old = byName.get(process);
        if (old != null && old.isAlive()) {
            throw new IllegalStateException(process + " still runs");
        }
        List<String> properties = new ArrayList<>(launchProperties.get(process));
        properties.addAll(List.of(overrides));
        launch(root, modules.get(process), process, httpPorts.get(process), properties.toArray(String[]::new));
        awaitReady(httpPorts.get(process));
    }

    /** Asks the named process to stop (SIGTERM) and waits until it has exited; answers its exit code. */
    int terminate(String process) throws InterruptedException {
        Process p = byName.get(process);
        stopped.add(p);
        p.destroy();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException(process + " did not exit within 60 s of SIGTERM; logs in " + logs);
        }
        return p.exitValue();
    }

    /** Kills the named process at once (SIGKILL), as a crash or an OOM kill would. */
    void kill(String process) throws InterruptedException {
        Process p = byName.get(process);
        stopped.add(p);
        p.destroyForcibly();
        p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS);
    }

    Path logs() {
        return logs;
    }

    /** The named process's peak resident memory in KiB (Linux {@code VmHWM}), or -1 where unknown. */
    long peakResidentKib(String process) {
        Path status = Path.of("/proc", Long.toString(byName.get(process).pid()), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private void launch(Path root, String module, String name, int httpPort, String... properties)
            throws IOException {
        Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package " + module + " first");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx2g");
        command.add("-Dquarkus.http.port=" + httpPort);
        command.addAll(List.of(properties));
        command.add("-jar");
        command.add(jar.toString());
        Path log = logs.resolve(name + ".log");
        Process process =
                new ProcessBuilder(command)
                        .directory(root.toFile())
                        .redirectErrorStream(true)
                        // a restarted process appends to the log of its first start
                        .redirectOutput(modules.containsKey(name) ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()))
                        .start();
        modules.put(name, module);
        launchProperties.put(name, List.of(properties));
        processes.add(process);
        healthPorts.add(httpPort);
        byName.put(name, process);
        httpPorts.put(name, httpPort);
    }

    private void awaitReady() throws IOException, InterruptedException {
        for (int port : healthPorts) {
            awaitReady(port);
        }
    }

    private void awaitReady(int port) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        HttpRequest probe =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2))
                        .build();
        while (true) {
            for (Process p : byName.values()) {
                if (!p.isAlive() && !stopped.contains(p)) {
                    throw new IllegalStateException(
                            "a mesh process exited with " + p.exitValue() + "; logs in " + logs);
                }
            }
            try {
                if (client.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(
                        "port " + port + " not ready after " + READY_TIMEOUT + "; logs in " + logs);
            }
            Thread.sleep(250);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
