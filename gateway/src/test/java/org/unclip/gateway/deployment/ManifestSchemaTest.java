package org.unclip.gateway.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every manifest of {@code deploy/} against the Kubernetes and KEDA schemas: {@code
 * deploy/validate} (Node) renders each kustomization and validates each object with the model
 * classes of the npm packages {@code kubernetes-models} and {@code @kubernetes-models/keda}, and
 * the production overlays ({@code deploy/overlays}) against its production rules (budgets,
 * replicas and spread per stage, NetworkPolicies that let only the gateway reach the stages and
 * Redis, images pinned by digest, a Redis password).
 *
 * <p>Needs {@code node} and {@code npm} (Debian: {@code apt-get install nodejs npm}); runs
 * {@code npm ci} in {@code deploy/validate} when its {@code node_modules} is missing or older than
 * its {@code package-lock.json}. Without node or npm the tests are skipped, unless {@code
 * UNCLIP_REQUIRE_NODE} is {@code 1} or {@code true} (CI sets it): then they fail.
 */
class ManifestSchemaTest {

    private static final Path ROOT = repositoryRoot();
    private static final Path VALIDATE = ROOT.resolve("deploy/validate");

    private static Path node;
    /** Why the validator cannot run here (node or npm missing), or null. */
    private static String missing;

    @BeforeAll
    static void installValidator() throws Exception {
        Optional<Path> nodeExecutable = executable("node");
        Optional<Path> npm = executable("npm");
        if (nodeExecutable.isEmpty() || npm.isEmpty()) {
            missing = (nodeExecutable.isEmpty() ? "node" : "npm")
                    + " not found: the manifests of deploy/ are not validated against the Kubernetes and KEDA schemas."
                    + " Install Node.js and npm (Debian: apt-get install nodejs npm).";
            if (!required()) {
                System.err.println("SKIPPED: " + missing);
            }
            return;
        }
        node = nodeExecutable.get();
        Path installed = VALIDATE.resolve("node_modules/.package-lock.json");
        boolean stale = !Files.isRegularFile(installed)
                || lastModified(installed).compareTo(lastModified(VALIDATE.resolve("package-lock.json"))) < 0;
        if (stale) {
            Result ci = run(List.of(npm.get().toString(), "ci", "--no-audit", "--no-fund"), 600);
            assertThat(ci.exit()).as("npm ci in %s:%n%s", VALIDATE, ci.output()).isZero();
        }
    }

    /** Skips each test without node and npm, or fails it where UNCLIP_REQUIRE_NODE asks for them. */
    @BeforeEach
    void needsNode() {
        if (missing != null) {
            if (required()) {
                Assertions.fail(missing + " UNCLIP_REQUIRE_NODE is set, so this is a failure.");
            }
            Assumptions.abort(missing);
        }
    }

    @Test
    void everyKustomizationRenders_andEveryObjectMatchesItsSchema() throws Exception {
        Result result = run(List.of(node.toString(), "validate.js"), 300);
        assertThat(result.exit()).as("node deploy/validate/validate.js:%n%s", result.output()).isZero();
        assertThat(result.output())
                .contains("ok   deploy/k8s:")
                .contains("ok   deploy/examples/autoscaling/keda:")
                .contains("ok   deploy/examples/autoscaling/hpa:")
                .contains("ok   deploy/examples/gpu:")
                .containsPattern("ok   deploy/overlays/production: .*PodDisruptionBudget 4.*, production rules")
                .contains(" 0 errors");
        for (String parent : List.of("deploy/examples", "deploy/overlays")) {
            try (Stream<Path> examples = Files.walk(ROOT.resolve(parent))) {
                List<Path> folders = examples.filter(f -> f.getFileName().toString().equals("kustomization.yaml"))
                        .map(Path::getParent)
                        .toList();
                for (Path folder : folders) {
                    assertThat(result.output()).as("validated %s", folder).contains("ok   " + ROOT.relativize(folder) + ":");
                }
            }
        }
    }

    @Test
    void theProductionRulesRefuseAnOverlayThatDropsAStagesBudget_orLetsEveryPodReachRedis(@TempDir Path dir) throws Exception {
        // The production overlay, changed the way an operator might break it.
        Files.writeString(dir.resolve("kustomization.yaml"), """
                resources:
                  - %s
                patches:
                  - patch: |-
                      $patch: delete
                      apiVersion: policy/v1
                      kind: PodDisruptionBudget
                      metadata:
                        name: decoder-svc
                  - target:
                      kind: NetworkPolicy
                      name: redis-from-gateway
                    patch: |-
                      - op: replace
                        path: /spec/ingress/0/from/0/podSelector
                        value: {}
                  - target:
                      kind: Deployment
                      name: gateway
                    patch: |-
                      - op: replace
                        path: /spec/template/spec/containers/0/image
                        value: unclip/gateway:0.1.0-SNAPSHOT
                """.formatted(ROOT.resolve("deploy/overlays/production")));
        Result result = run(List.of(node.toString(), "validate.js", "--no-kubectl", "--production", dir.toString()), 120);
        assertThat(result.exit()).as("validate.js --production on a broken overlay:%n%s", result.output()).isEqualTo(1);
        assertThat(result.output())
                .contains("production: Deployment decoder-svc: needs one PodDisruptionBudget selecting its pods alone, has 0")
                .contains("production: NetworkPolicy redis-from-gateway: ingress[0] opens redis of StatefulSet redis to more than the gateway")
                .contains("production: Deployment gateway: container gateway runs the SNAPSHOT image unclip/gateway:0.1.0-SNAPSHOT")
                .doesNotContain("prior-svc: needs one PodDisruptionBudget");
    }

    @Test
    void theValidatorsOwnTestsPass() throws Exception {
        Result result = run(List.of(node.toString(), "--test", "test/validate.test.js"), 300);
        assertThat(result.exit()).as("node --test test/validate.test.js:%n%s", result.output()).isZero();
    }

    @Test
    void theValidatorRejectsBrokenObjects(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("kustomization.yaml"), "resources:\n  - broken.yaml\n");
        Files.writeString(dir.resolve("broken.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: decoder-svc
                spec:
                  replicas: two
                  selector:
                    matchLabels:
                      app.kubernetes.io/name: decoder-svc
                  template:
                    metadata:
                      labels:
                        app.kubernetes.io/name: decoder-svc
                    spec:
                      containers:
                        - name: decoder-svc
                          image: unclip/decoder-svc:0.1.0-SNAPSHOT
                ---
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata:
                  name: decoder-svc
                spec:
                  scaleTargetRef:
                    name: decoder-svc
                  triggers:
                    - type: prometheus
                      metadata:
                        serverAddress: http://prometheus-server.monitoring.svc:80
                        query: sum(unclip_stage_calls_in_flight{service="decoder-svc"})
                        threshold: 16
                """);
        Result result = run(List.of(node.toString(), "validate.js", "--no-kubectl", dir.toString()), 120);
        assertThat(result.exit()).as("validate.js on broken objects:%n%s", result.output()).isEqualTo(1);
        assertThat(result.output())
                .contains("FAIL ")
                .containsPattern("Deployment decoder-svc: .*/spec/replicas must be integer")
                .containsPattern("ScaledObject decoder-svc: .*/spec/triggers/0/metadata/threshold must be string");
    }

    // ------------------------------------------------------------------ helpers

    private record Result(int exit, String output) {
    }

    /** Runs a command in deploy/validate, stdout and stderr together. */
    private static Result run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).directory(VALIDATE.toFile()).redirectErrorStream(true);
        builder.environment().putIfAbsent("npm_config_update_notifier", "false");
        Process process = builder.start();
        process.getOutputStream().close();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                output.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.append("(output unreadable: ").append(e.getMessage()).append(')');
            }
        });
        reader.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            reader.join(5000);
            throw new AssertionError(String.join(" ", command) + " ran past " + timeoutSeconds + " s:\n" + output);
        }
        reader.join();
        return new Result(process.exitValue(), output.toString());
    }

    private static FileTime lastModified(Path file) throws IOException {
        return Files.getLastModifiedTime(file);
    }

    private static boolean required() {
        String value = System.getenv("UNCLIP_REQUIRE_NODE");
        return value != null && (value.equals("1") || value.toLowerCase(Locale.ROOT).equals("true"));
    }

    private static Optional<Path> executable(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(":"))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, command))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The repository root: unclip.root (or the working directory) or the nearest folder above it holding deploy/. */
    private static Path repositoryRoot() {
        Path start = Path.of(System.getProperty("unclip.root", ".")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/validate")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no deploy/validate in " + start + " or above it");
    }
}
