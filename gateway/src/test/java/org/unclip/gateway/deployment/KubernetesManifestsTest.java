package org.unclip.gateway.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.config.GatewayConfig;

/**
 * The Kubernetes manifests ({@code deploy/k8s} and the overlays under {@code deploy/examples})
 * and the image build ({@code deploy/Dockerfile}) against the services they run: ports, hosts,
 * environment variables and probes as the services' {@code application.properties} and config
 * mappings define them, the gateway's gRPC clients and Redis URL pointing at Services that exist,
 * images built from each module's own fast-jar, and every file of a kustomization folder named
 * by it.
 */
class KubernetesManifestsTest {

    private static final Path ROOT = repositoryRoot();
    private static final Path DEPLOY = ROOT.resolve("deploy");
    private static final List<String> STAGES = List.of("text-encoder-svc", "prior-svc", "decoder-svc");
    private static final String GATEWAY = "gateway";
    private static final List<String> SERVICES = List.of("text-encoder-svc", "prior-svc", "decoder-svc", GATEWAY);
    /** Environment variables read by the JVM rather than by Quarkus' configuration. */
    private static final Set<String> JVM_ENVIRONMENT = Set.of("JAVA_TOOL_OPTIONS");
    private static final Pattern FROM = Pattern.compile("^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?\\s*$", Pattern.CASE_INSENSITIVE);
    private static final Pattern COPY = Pattern.compile("^COPY\\s+(?:--\\S+\\s+)*(\\S+)\\s+(\\S+)\\s*$");

    private static Kustomization base;
    private static List<JsonNode> objects;
    private static List<String> dockerfile;

    @BeforeAll
    static void load() throws IOException {
        base = Kustomization.load(DEPLOY.resolve("k8s"));
        objects = base.objects();
        dockerfile = Files.readAllLines(DEPLOY.resolve("Dockerfile"));
    }

    // ------------------------------------------------------------------ kustomizations

    @Test
    void everyKustomizationNamesEachFileOfItsFolder_andEachNamedFileExists() throws IOException {
        List<Path> folders = kustomizationFolders();
        assertThat(folders).contains(DEPLOY.resolve("k8s"), DEPLOY.resolve("examples/autoscaling"));
        for (Path folder : folders) {
            Kustomization kustomization = Kustomization.load(folder);
            Set<Path> named = new TreeSet<>();
            for (Path file : kustomization.namedFiles()) {
                named.add(file.normalize());
            }
            Set<Path> present = new TreeSet<>();
            try (Stream<Path> files = Files.list(folder)) {
                files.filter(Files::isRegularFile)
                        .filter(file -> !file.getFileName().toString().equals("kustomization.yaml"))
                        .forEach(file -> present.add(file.normalize()));
            }
            assertThat(named).as("files named by %s/kustomization.yaml", folder).isEqualTo(present);
            assertThat(kustomization.resources())
                    .as("resources of %s", folder)
                    .allSatisfy(entry -> assertThat(Files.exists(folder.resolve(entry))).as(entry).isTrue());
            assertThat(kustomization.resourceFolders())
                    .allSatisfy(dir -> assertThat(dir.resolve("kustomization.yaml")).isRegularFile());
        }
    }

    @Test
    void theBaseIsNamespaceAgnostic_andHoldsOneWorkloadAndServicePerService() {
        assertThat(base.spec().has("namespace")).isFalse();
        assertThat(objects).allSatisfy(object -> assertThat(object.path("metadata").has("namespace"))
                .as("%s %s names a namespace", kind(object), name(object))
                .isFalse());
        for (String service : SERVICES) {
            object("Deployment", service);
            object("Service", service);
        }
        object("StatefulSet", "redis");
        object("Service", "redis");
        assertThat(base.configMapGenerators()).extracting(Kustomization.Generator::name)
                .containsExactlyInAnyOrder("unclip-stages", "unclip-gateway");
    }

    // ------------------------------------------------------------------ images

    @Test
    void eachDeploymentRunsItsOwnModulesFastJar_fromTheImageTheDockerfileBuilds() throws Exception {
        String version = projectVersion();
        Map<String, String> bases = dockerTargets();
        String ignore = Files.readString(DEPLOY.resolve("Dockerfile.dockerignore"));
        assertThat(entryPoint("runtime")).isEqualTo("[\"java\", \"-jar\", \"/app/quarkus-run.jar\"]");
        for (String service : SERVICES) {
            JsonNode container = container(object("Deployment", service));
            assertThat(container.path("image").asText()).isEqualTo("unclip/" + service + ":" + version);
            assertThat(container.has("command") || container.has("args"))
                    .as("%s must run the image's entry point", service)
                    .isFalse();
            assertThat(artifactId(ROOT.resolve(service).resolve("pom.xml"))).isEqualTo(service);

            assertThat(bases).as("Dockerfile targets").containsKey(service);
            assertThat(ancestry(service, bases)).contains("runtime");
            List<String[]> copies = copies(service);
            assertThat(copies).as("COPY lines of target %s", service)
                    .anySatisfy(copy -> assertThat(copy).containsExactly(
                            service + "/target/quarkus-app/quarkus-run.jar", "/app/quarkus-run.jar"))
                    .anySatisfy(copy -> assertThat(copy).containsExactly(service + "/target/quarkus-app/lib/", "/app/lib/"))
                    .allSatisfy(copy -> assertThat(copy[0]).startsWith(service + "/target/quarkus-app/"));
            assertThat(ignore).contains("!" + service + "/target/quarkus-app/");
        }
        for (String stage : STAGES) {
            assertThat(ancestry(stage, bases)).as("stage images carry the model family").contains("stage");
        }
        assertThat(ancestry(GATEWAY, bases)).doesNotContain("stage");
    }

    @Test
    void stageImagesCarryTheFamilyTheStagesAreToldToLoad() {
        String family = dockerfile.stream()
                .filter(line -> line.startsWith("ARG FAMILY="))
                .map(line -> line.substring("ARG FAMILY=".length()).strip())
                .findFirst()
                .orElseThrow(() -> new AssertionError("Dockerfile declares no ARG FAMILY default"));
        assertThat(ROOT.resolve("models").resolve(family).resolve("family.json")).isRegularFile();
        assertThat(copies("stage")).anySatisfy(copy -> assertThat(copy).containsExactly("models/${FAMILY}/", "/models/${FAMILY}/"));
        assertThat(dockerfile).contains("ENV UNCLIP_FAMILY_DIR=/models/${FAMILY}");
        for (String stage : STAGES) {
            Map<String, String> env = environment(base, container(object("Deployment", stage)));
            assertThat(env).as("environment of %s", stage).containsEntry("UNCLIP_FAMILY_DIR", "/models/" + family);
        }
    }

    // ------------------------------------------------------------------ ports and hosts

    @Test
    void containersListenOnAllInterfaces_atThePortsTheirServicesAreConfiguredWith() {
        for (String service : SERVICES) {
            ServiceProperties properties = properties(service);
            JsonNode container = container(object("Deployment", service));
            Map<String, String> env = environment(base, container);

            assertThat(properties.effective("quarkus.http.host", env)).as("%s HTTP host", service).contains("0.0.0.0");
            assertThat(containerPort(container, "http")).as("%s HTTP port", service)
                    .isEqualTo(properties.effectiveInt("quarkus.http.port", env));
            Set<String> declared = new TreeSet<>();
            container.path("ports").forEach(port -> declared.add(port.path("name").asText()));
            if (STAGES.contains(service)) {
                assertThat(properties.effective("quarkus.grpc.server.use-separate-server", env)).contains("true");
                assertThat(properties.effective("quarkus.grpc.server.host", env)).as("%s gRPC host", service).contains("0.0.0.0");
                assertThat(containerPort(container, "grpc")).as("%s gRPC port", service)
                        .isEqualTo(properties.effectiveInt("quarkus.grpc.server.port", env));
                assertThat(declared).containsExactlyInAnyOrder("http", "grpc");
            } else {
                assertThat(declared).containsExactly("http");
            }
        }
    }

    @Test
    void stageServicesAreHeadless_andMapNoPorts() {
        for (String stage : STAGES) {
            JsonNode service = object("Service", stage);
            JsonNode deployment = object("Deployment", stage);
            JsonNode container = container(deployment);
            assertThat(service.path("spec").path("clusterIP").asText())
                    .as("%s must be headless so that the gateway sees every pod", stage)
                    .isEqualTo("None");
            assertSelects(service.path("spec").path("selector"), deployment);
            assertThat(service.path("spec").path("ports")).hasSize(2).allSatisfy(port -> {
                int number = port.path("port").asInt();
                assertThat(containerPort(container, port.path("name").asText()))
                        .as("%s port %s", stage, port.path("name").asText())
                        .isEqualTo(number)
                        .isEqualTo(resolvePort(container, port.path("targetPort")));
            });
        }
        JsonNode gateway = object("Service", GATEWAY);
        assertSelects(gateway.path("spec").path("selector"), object("Deployment", GATEWAY));
        assertThat(resolvePort(container(object("Deployment", GATEWAY)), gateway.path("spec").path("ports").get(0).path("targetPort")))
                .isEqualTo(8080);
    }

    @Test
    void gatewaysGrpcClientsTargetTheStagesHeadlessServices_withRoundRobin() {
        ServiceProperties gateway = properties(GATEWAY);
        Map<String, String> env = environment(base, container(object("Deployment", GATEWAY)));
        Set<String> clients = new TreeSet<>();
        Pattern hostKey = Pattern.compile("quarkus\\.grpc\\.clients\\.([^.]+)\\.host");
        for (String key : gateway.values().keySet()) {
            Matcher matcher = hostKey.matcher(key);
            if (matcher.matches()) {
                clients.add(matcher.group(1));
            }
        }
        assertThat(clients).containsExactlyInAnyOrder("text-encoder", "prior", "decoder");

        Set<String> targeted = new TreeSet<>();
        for (String client : clients) {
            String prefix = "quarkus.grpc.clients." + client + ".";
            String host = gateway.effective(prefix + "host", env).orElseThrow();
            int port = gateway.effectiveInt(prefix + "port", env);
            assertThat(env).as("the gateway's environment sets client %s", client)
                    .containsKeys(ServiceProperties.envName(prefix + "host"), ServiceProperties.envName(prefix + "port"));
            // Quarkus builds the target dns:///<host>:<port> itself; a scheme here would break it.
            assertThat(host).as("client %s host", client).doesNotContain(":").doesNotContain("/");
            assertThat(gateway.effective(prefix + "load-balancing-policy", env)).as("client %s", client).contains("round_robin");

            JsonNode service = object("Service", host);
            assertThat(service.path("spec").path("clusterIP").asText()).as("Service %s", host).isEqualTo("None");
            assertThat(service.path("spec").path("ports"))
                    .as("Service %s ports", host)
                    .anySatisfy(p -> {
                        assertThat(p.path("name").asText()).isEqualTo("grpc");
                        assertThat(p.path("port").asInt()).isEqualTo(port);
                    });
            assertThat(containerPort(container(object("Deployment", host)), "grpc")).isEqualTo(port);
            Map<String, String> stageEnv = environment(base, container(object("Deployment", host)));
            assertThat(properties(host).effectiveInt("quarkus.grpc.server.port", stageEnv))
                    .as("%s listens where the gateway calls it", host)
                    .isEqualTo(port);
            targeted.add(host);
        }
        assertThat(targeted).containsExactlyInAnyOrderElementsOf(STAGES);
    }

    @Test
    void gatewaysQueueIsTheRedisService_persistentAndNeverEvicting() {
        ServiceProperties gateway = properties(GATEWAY);
        Map<String, String> env = environment(base, container(object("Deployment", GATEWAY)));
        URI url = URI.create(gateway.effective("unclip.redis.url", env).orElseThrow());
        assertThat(url.getScheme()).isEqualTo("redis");
        JsonNode service = object("Service", url.getHost());
        JsonNode redis = object("StatefulSet", url.getHost());
        assertSelects(service.path("spec").path("selector"), redis);
        JsonNode servicePort = service.path("spec").path("ports").get(0);
        assertThat(servicePort.path("port").asInt()).isEqualTo(url.getPort());
        JsonNode container = container(redis);
        assertThat(resolvePort(container, servicePort.path("targetPort"))).isEqualTo(6379);

        List<String> args = new ArrayList<>();
        container.path("args").forEach(arg -> args.add(arg.asText()));
        assertThat(argument(args, "--appendonly")).isEqualTo("yes");
        assertThat(argument(args, "--maxmemory-policy")).isEqualTo("noeviction");
        String dir = argument(args, "--dir");
        JsonNode claim = redis.path("spec").path("volumeClaimTemplates").get(0);
        assertThat(claim).as("Redis needs a PersistentVolumeClaim template").isNotNull();
        assertThat(container.path("volumeMounts")).anySatisfy(mount -> {
            assertThat(mount.path("name").asText()).isEqualTo(claim.path("metadata").path("name").asText());
            assertThat(mount.path("mountPath").asText()).isEqualTo(dir);
        });
    }

    // ------------------------------------------------------------------ environment

    @Test
    void everyEnvironmentVariable_setsAPropertyTheServiceReads() {
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (String service : SERVICES) {
            ServiceProperties properties = properties(service);
            for (String env : environment(base, container(object("Deployment", service))).keySet()) {
                if (!JVM_ENVIRONMENT.contains(env) && properties.keyOfEnv(env).isEmpty()) {
                    unknown.computeIfAbsent(service, s -> new TreeSet<>()).add(env);
                }
            }
        }
        for (Path folder : kustomizationFolders()) {
            Kustomization overlay = Kustomization.load(folder);
            for (Kustomization.Generator generator : overlay.configMapGenerators()) {
                for (String service : servicesUsingConfigMap(generator.name())) {
                    ServiceProperties properties = properties(service);
                    generator.entries().keySet().stream()
                            .filter(env -> properties.keyOfEnv(env).isEmpty())
                            .forEach(env -> unknown.computeIfAbsent(service + " (" + folder + ")", s -> new TreeSet<>()).add(env));
                }
            }
            for (Kustomization.Patch patch : overlay.patches()) {
                for (JsonNode op : patch.jsonOperations()) {
                    if (!op.path("path").asText().endsWith("/env/-")) {
                        continue;
                    }
                    String env = op.path("value").path("name").asText();
                    for (String service : targets(patch.target())) {
                        if (properties(service).keyOfEnv(env).isEmpty()) {
                            unknown.computeIfAbsent(service + " (" + patch.file() + ")", s -> new TreeSet<>()).add(env);
                        }
                    }
                }
            }
        }
        assertThat(unknown).as("environment variables that name no property of their service").isEmpty();
    }

    @Test
    void environmentNames_followQuarkusMapping_andResolveAgainstTheServicesKeys() {
        assertThat(ServiceProperties.envName("quarkus.grpc.clients.text-encoder.host"))
                .isEqualTo("QUARKUS_GRPC_CLIENTS_TEXT_ENCODER_HOST");
        ServiceProperties gateway = properties(GATEWAY);
        assertThat(gateway.keyOfEnv("UNCLIP_API_KEYS")).contains("unclip.api.keys");
        assertThat(gateway.keyOfEnv("UNCLIP_JOBS_WORKER_CLAIM_MIN_IDLE")).contains("unclip.jobs.worker.claim-min-idle");
        assertThat(gateway.keyOfEnv("UNCLIP_REDIS_URI")).isEmpty();
        assertThat(properties("decoder-svc").keyOfEnv("UNCLIP_ONNX_THREADS")).contains("unclip.onnx.threads");
        assertThat(properties("decoder-svc").keyOfEnv("UNCLIP_REDIS_URL")).isEmpty();
    }

    @Test
    void readmesConfigurationTable_namesRealProperties_theirDefaults_andWhatTheManifestsSet() throws IOException {
        List<String> rows = new ArrayList<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(DEPLOY.resolve("README.md"))) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Configure");
            } else if (inSection && line.startsWith("| `")) {
                rows.add(line);
            }
        }
        assertThat(rows).as("rows of the table in deploy/README.md, section Configure").hasSizeGreaterThan(10);
        Map<String, Set<String>> documented = new TreeMap<>();
        for (String row : rows) {
            String[] cells = row.substring(1, row.length() - 1).split("\\|");
            assertThat(cells).as(row).hasSize(5);
            String variable = backticked(cells[0]).orElseThrow();
            String property = backticked(cells[1]).orElseThrow();
            assertThat(ServiceProperties.envName(property)).as(row).isEqualTo(variable);
            for (String service : cells[2].strip().split(",\\s*")) {
                assertThat(SERVICES).as(row).contains(service);
                ServiceProperties properties = properties(service);
                assertThat(properties.keys()).as("%s reads %s", service, property).contains(property);
                assertThat(properties.defaultValue(property)).as("default of %s in %s", property, service)
                        .isEqualTo(backticked(cells[3]));
                Map<String, String> env = environment(base, container(object("Deployment", service)));
                String set = cells[4].strip();
                if (set.startsWith("`")) {
                    assertThat(env).as("deploy/k8s sets %s for %s", variable, service).containsEntry(variable, backticked(set).orElseThrow());
                } else if (set.startsWith("—")) {
                    assertThat(env).as("deploy/k8s leaves %s unset for %s", variable, service).doesNotContainKey(variable);
                } else {
                    assertThat(env).as("deploy/k8s sets %s for %s", variable, service).containsKey(variable);
                }
                documented.computeIfAbsent(service, s -> new TreeSet<>()).add(variable);
            }
        }
        for (String service : SERVICES) {
            Set<String> set = new TreeSet<>(environment(base, container(object("Deployment", service))).keySet());
            set.removeAll(JVM_ENVIRONMENT);
            assertThat(documented.getOrDefault(service, Set.of())).as("variables deploy/k8s sets for %s, in the table", service)
                    .containsAll(set);
        }
    }

    // ------------------------------------------------------------------ probes, security, resources

    @Test
    void probesAskQuarkusHealthOnTheHttpPort() throws IOException {
        for (String service : SERVICES) {
            assertThat(Files.readString(ROOT.resolve(service).resolve("pom.xml")))
                    .as("%s serves /q/health", service)
                    .contains("<artifactId>quarkus-smallrye-health</artifactId>");
            JsonNode container = container(object("Deployment", service));
            int http = containerPort(container, "http");
            assertThat(probePath(container, "readinessProbe", http)).isEqualTo("/q/health/ready");
            assertThat(probePath(container, "livenessProbe", http)).isEqualTo("/q/health/live");
            assertThat(probePath(container, "startupProbe", http)).isIn("/q/health/live", "/q/health/started");
        }
    }

    @Test
    void podsRunAsNonRoot_onReadOnlyFilesystems_withRequestsAndLimits() {
        String user = dockerfile.stream()
                .filter(line -> line.startsWith("USER "))
                .map(line -> line.substring(5).strip().split(":")[0])
                .findFirst()
                .orElseThrow(() -> new AssertionError("the Dockerfile sets no USER"));
        List<JsonNode> workloads = new ArrayList<>();
        objects.stream().filter(o -> kind(o).equals("Deployment") || kind(o).equals("StatefulSet")).forEach(workloads::add);
        assertThat(workloads).hasSize(SERVICES.size() + 1);
        for (JsonNode workload : workloads) {
            String name = name(workload);
            JsonNode pod = workload.path("spec").path("template").path("spec");
            JsonNode container = container(workload);
            assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).as(name).isTrue();
            assertThat(pod.path("securityContext").path("runAsUser").asInt()).as(name).isPositive();
            assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).as(name).isFalse();
            JsonNode security = container.path("securityContext");
            assertThat(security.path("readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
            assertThat(security.path("allowPrivilegeEscalation").asBoolean(true)).as(name).isFalse();
            assertThat(security.path("capabilities").path("drop").toString()).as(name).contains("\"ALL\"");
            JsonNode resources = container.path("resources");
            for (String resource : List.of("cpu", "memory")) {
                assertThat(resources.path("requests").hasNonNull(resource)).as("%s requests %s", name, resource).isTrue();
                assertThat(resources.path("limits").hasNonNull(resource)).as("%s limits %s", name, resource).isTrue();
                assertThat(quantity(resources.path("limits").path(resource).asText()))
                        .as("%s %s limit >= request", name, resource)
                        .isGreaterThanOrEqualTo(quantity(resources.path("requests").path(resource).asText()));
            }
            if (SERVICES.contains(name)) {
                assertThat(pod.path("securityContext").path("runAsUser").asText()).as("%s runs as the image's user", name).isEqualTo(user);
                String tmpVolume = mountedAt(container, "/tmp");
                assertThat(pod.path("volumes"))
                        .as("%s needs a writable /tmp (native libraries are unpacked there)", name)
                        .anySatisfy(volume -> {
                            assertThat(volume.path("name").asText()).isEqualTo(tmpVolume);
                            assertThat(volume.has("emptyDir")).isTrue();
                        });
            }
        }
    }

    @Test
    void gatewayStaysAvailableThroughDisruptions_andStopsWithinItsGracePeriod() {
        JsonNode deployment = object("Deployment", GATEWAY);
        JsonNode budget = object("PodDisruptionBudget", GATEWAY);
        assertSelects(budget.path("spec").path("selector").path("matchLabels"), deployment);
        int replicas = deployment.path("spec").path("replicas").asInt(1);
        assertThat(budget.path("spec").path("minAvailable").asInt())
                .as("a budget of all replicas would block every node drain")
                .isPositive()
                .isLessThan(replicas);
        JsonNode preStop = container(deployment).path("lifecycle").path("preStop").path("exec").path("command");
        assertThat(preStop.get(0).asText()).isEqualTo("sleep");
        int grace = deployment.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asInt(30);
        // the worker's XREADGROUP block (2 s by default) plus 2 s per thread while it stops
        assertThat(grace).isGreaterThan(preStop.get(1).asInt() + 10);
        for (String stage : STAGES) {
            JsonNode strategy = object("Deployment", stage).path("spec").path("strategy");
            assertThat(strategy.path("rollingUpdate").path("maxUnavailable").asInt(-1))
                    .as("%s rolls without dropping below its replica count", stage)
                    .isZero();
        }
    }

    @Test
    void stagesFinishTheirRunningCallsWithinTheirGracePeriod() {
        for (String stage : STAGES) {
            JsonNode deployment = object("Deployment", stage);
            Map<String, String> env = environment(base, container(deployment));
            String drain = properties(stage).effective("unclip.shutdown.drain-timeout", env)
                    .orElseThrow(() -> new AssertionError(stage + " configures no unclip.shutdown.drain-timeout"));
            long grace = deployment.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asLong(30);
            // the drain, up to 10 s for the calls it then stops (ShutdownDrain.ABANDON_WAIT), and the exit
            assertThat(grace)
                    .as("%s: terminationGracePeriodSeconds against unclip.shutdown.drain-timeout=%s", stage, drain)
                    .isGreaterThanOrEqualTo(seconds(drain) + 15);
        }
    }

    @Test
    void autoscalingExample_scalesTheDecoderOnCpu_andLeavesItsReplicasToTheAutoscaler() {
        Kustomization overlay = Kustomization.load(DEPLOY.resolve("examples/autoscaling"));
        JsonNode hpa = overlay.objects().stream()
                .filter(o -> kind(o).equals("HorizontalPodAutoscaler"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no HorizontalPodAutoscaler in the autoscaling example"));
        JsonNode target = hpa.path("spec").path("scaleTargetRef");
        assertThat(target.path("kind").asText()).isEqualTo("Deployment");
        String name = target.path("name").asText();
        assertThat(name).isEqualTo("decoder-svc");
        JsonNode deployment = object("Deployment", name);
        assertThat(hpa.path("spec").path("metrics")).anySatisfy(metric ->
                assertThat(metric.path("resource").path("name").asText()).isEqualTo("cpu"));
        assertThat(container(deployment).path("resources").path("requests").hasNonNull("cpu"))
                .as("CPU utilization is relative to the request")
                .isTrue();
        assertThat(hpa.path("spec").path("minReplicas").asInt()).isPositive()
                .isLessThan(hpa.path("spec").path("maxReplicas").asInt());
        assertThat(overlay.patches()).anySatisfy(patch -> {
            assertThat(patch.target().path("name").asText()).isEqualTo(name);
            assertThat(patch.inline()).contains("op: remove").contains("path: /spec/replicas");
        });
    }

    @Test
    void kustomizeBuildsEveryFolder_whenKubectlIsInstalled() throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed; kustomize builds not checked");
        for (Path folder : kustomizationFolders()) {
            Process process = new ProcessBuilder("kubectl", "kustomize", folder.toString()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("kubectl kustomize %s:%n%s", folder, output).isZero();
            assertThat(output).contains("kind: Deployment").contains("name: gateway");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The repository root: unclip.root (or the working directory) or the nearest folder above it holding deploy/k8s. */
    private static Path repositoryRoot() {
        Path start = Path.of(System.getProperty("unclip.root", ".")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/k8s")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no deploy/k8s in " + start + " or above it");
    }

    private static List<Path> kustomizationFolders() {
        List<Path> folders = new ArrayList<>();
        folders.add(DEPLOY.resolve("k8s"));
        try (Stream<Path> examples = Files.list(DEPLOY.resolve("examples"))) {
            examples.filter(Files::isDirectory).sorted().forEach(dir -> {
                assertThat(dir.resolve("kustomization.yaml")).as("every example is a kustomization").isRegularFile();
                folders.add(dir);
            });
        } catch (IOException e) {
            throw new AssertionError("cannot list deploy/examples", e);
        }
        return folders;
    }

    private static ServiceProperties properties(String service) {
        return service.equals(GATEWAY)
                ? ServiceProperties.load(ROOT, service, GatewayConfig.class)
                : ServiceProperties.load(ROOT, service);
    }

    private static JsonNode object(String kind, String name) {
        return objects.stream()
                .filter(o -> kind(o).equals(kind) && name(o).equals(name))
                .reduce((a, b) -> {
                    throw new AssertionError("two " + kind + "s named " + name);
                })
                .orElseThrow(() -> new AssertionError("deploy/k8s has no " + kind + " named " + name));
    }

    private static String kind(JsonNode object) {
        return object.path("kind").asText();
    }

    private static String name(JsonNode object) {
        return object.path("metadata").path("name").asText();
    }

    private static JsonNode container(JsonNode workload) {
        JsonNode containers = workload.path("spec").path("template").path("spec").path("containers");
        assertThat(containers).as("containers of %s", name(workload)).hasSize(1);
        JsonNode container = containers.get(0);
        assertThat(container.path("name").asText()).isEqualTo(name(workload));
        return container;
    }

    /** A container's environment: its ConfigMaps' entries (from the base's generators), then its own env. */
    private static Map<String, String> environment(Kustomization kustomization, JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode source : container.path("envFrom")) {
            String configMap = source.path("configMapRef").path("name").asText();
            Kustomization.Generator generator = kustomization.configMapGenerators().stream()
                    .filter(g -> g.name().equals(configMap))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no ConfigMap generator " + configMap + " in " + kustomization.dir()));
            env.putAll(generator.entries());
        }
        for (JsonNode variable : container.path("env")) {
            env.put(variable.path("name").asText(),
                    variable.has("value") ? variable.path("value").asText() : "<" + variable.path("valueFrom").fieldNames().next() + ">");
        }
        return env;
    }

    /** Names of the base's Deployments whose containers read a ConfigMap. */
    private static List<String> servicesUsingConfigMap(String configMap) {
        List<String> services = new ArrayList<>();
        for (String service : SERVICES) {
            for (JsonNode source : container(object("Deployment", service)).path("envFrom")) {
                if (source.path("configMapRef").path("name").asText().equals(configMap)) {
                    services.add(service);
                }
            }
        }
        assertThat(services).as("Deployments reading ConfigMap %s", configMap).isNotEmpty();
        return services;
    }

    /** Names of the base's Deployments a patch target selects (by name or by one label). */
    private static List<String> targets(JsonNode target) {
        List<String> names = new ArrayList<>();
        for (String service : SERVICES) {
            JsonNode deployment = object("Deployment", service);
            boolean byName = !target.has("name") || target.path("name").asText().equals(service);
            boolean byLabel = true;
            if (target.has("labelSelector")) {
                String[] selector = target.path("labelSelector").asText().split("=", 2);
                byLabel = deployment.path("metadata").path("labels").path(selector[0]).asText().equals(selector[1]);
            }
            if (target.path("kind").asText("Deployment").equals("Deployment") && byName && byLabel) {
                names.add(service);
            }
        }
        assertThat(names).as("Deployments selected by patch target %s", target).isNotEmpty();
        return names;
    }

    private static int containerPort(JsonNode container, String name) {
        for (JsonNode port : container.path("ports")) {
            if (port.path("name").asText().equals(name)) {
                return port.path("containerPort").asInt();
            }
        }
        throw new AssertionError(container.path("name").asText() + " declares no port named " + name);
    }

    private static int resolvePort(JsonNode container, JsonNode reference) {
        return reference.isInt() ? reference.asInt() : containerPort(container, reference.asText());
    }

    private static String probePath(JsonNode container, String probe, int httpPort) {
        JsonNode get = container.path(probe).path("httpGet");
        assertThat(get.isMissingNode()).as("%s of %s is an HTTP probe", probe, container.path("name").asText()).isFalse();
        assertThat(resolvePort(container, get.path("port"))).as("%s port", probe).isEqualTo(httpPort);
        return get.path("path").asText();
    }

    private static void assertSelects(JsonNode selector, JsonNode workload) {
        assertThat(selector.isEmpty()).as("empty selector for %s", name(workload)).isFalse();
        JsonNode labels = workload.path("spec").path("template").path("metadata").path("labels");
        selector.properties().forEach(entry ->
                assertThat(labels.path(entry.getKey()).asText()).as("pods of %s carry %s", name(workload), entry.getKey())
                        .isEqualTo(entry.getValue().asText()));
    }

    private static String mountedAt(JsonNode container, String path) {
        for (JsonNode mount : container.path("volumeMounts")) {
            if (mount.path("mountPath").asText().equals(path)) {
                return mount.path("name").asText();
            }
        }
        return fail(container.path("name").asText() + " mounts nothing at " + path);
    }

    /** The text between the first pair of backticks of a table cell; empty when the cell starts otherwise. */
    private static Optional<String> backticked(String cell) {
        String text = cell.strip();
        if (!text.startsWith("`")) {
            return Optional.empty();
        }
        return Optional.of(text.substring(1, text.indexOf('`', 1)));
    }

    private static String argument(List<String> args, String flag) {
        int at = args.indexOf(flag);
        assertThat(at).as("argument %s in %s", flag, args).isNotNegative().isLessThan(args.size() - 1);
        return args.get(at + 1);
    }

    /** Whole seconds of a Quarkus duration: {@code 90}, {@code 60s}, {@code 5m}, {@code 1h}, {@code 500ms} or ISO-8601. */
    private static long seconds(String duration) {
        Matcher matcher = Pattern.compile("([0-9]+)(ms|s|m|h|d)?").matcher(duration.strip());
        if (!matcher.matches()) {
            return java.time.Duration.parse(duration.strip()).toSeconds();
        }
        long value = Long.parseLong(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        return switch (unit) {
            case "ms" -> (value + 999) / 1000;
            case "s" -> value;
            case "m" -> value * 60;
            case "h" -> value * 3600;
            default -> value * 86400;
        };
    }

    /** A Kubernetes quantity (cpu: 500m, 2; memory: 384Mi, 1Gi) in base units. */
    private static double quantity(String text) {
        Matcher matcher = Pattern.compile("([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G)?").matcher(text);
        assertThat(matcher.matches()).as("quantity %s", text).isTrue();
        double value = Double.parseDouble(matcher.group(1));
        String unit = matcher.group(2) == null ? "" : matcher.group(2);
        return switch (unit) {
            case "" -> value;
            case "m" -> value / 1000;
            case "k" -> value * 1e3;
            case "M" -> value * 1e6;
            case "G" -> value * 1e9;
            case "Ki" -> value * 1024;
            case "Mi" -> value * 1024 * 1024;
            case "Gi" -> value * 1024 * 1024 * 1024;
            default -> value * 1024L * 1024 * 1024 * 1024;
        };
    }

    /** Dockerfile targets (FROM ... AS name) and the image or target each is built from. */
    private static Map<String, String> dockerTargets() {
        Map<String, String> targets = new LinkedHashMap<>();
        for (String line : dockerfile) {
            Matcher matcher = FROM.matcher(line.strip());
            if (matcher.matches() && matcher.group(2) != null) {
                targets.put(matcher.group(2), matcher.group(1));
            }
        }
        return targets;
    }

    private static List<String> ancestry(String target, Map<String, String> targets) {
        List<String> chain = new ArrayList<>();
        for (String at = target; targets.containsKey(at); at = targets.get(at)) {
            chain.add(at);
        }
        return chain;
    }

    /** The COPY lines (source, destination) of one Dockerfile target. */
    private static List<String[]> copies(String target) {
        List<String[]> copies = new ArrayList<>();
        String current = null;
        for (String line : dockerfile) {
            Matcher from = FROM.matcher(line.strip());
            if (from.matches()) {
                current = from.group(2);
                continue;
            }
            Matcher copy = COPY.matcher(line.strip());
            if (target.equals(current) && copy.matches()) {
                copies.add(new String[] {copy.group(1), copy.group(2)});
            }
        }
        assertThat(copies).as("COPY lines of Dockerfile target %s", target).isNotEmpty();
        return copies;
    }

    private static String entryPoint(String target) {
        String current = null;
        for (String line : dockerfile) {
            Matcher from = FROM.matcher(line.strip());
            if (from.matches()) {
                current = from.group(2);
            } else if (target.equals(current) && line.startsWith("ENTRYPOINT ")) {
                return line.substring("ENTRYPOINT ".length()).strip();
            }
        }
        return fail("Dockerfile target " + target + " has no ENTRYPOINT");
    }

    private static String projectVersion() throws Exception {
        return xml(ROOT.resolve("pom.xml"), "version");
    }

    private static String artifactId(Path pom) throws Exception {
        return xml(pom, "artifactId");
    }

    /** A direct child of a pom's project element. */
    private static String xml(Path pom, String element) throws Exception {
        var document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        var children = document.getDocumentElement().getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i).getNodeName().equals(element)) {
                return children.item(i).getTextContent().strip();
            }
        }
        return fail(pom + " has no " + element);
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }
}
