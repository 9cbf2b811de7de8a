package org.unclip.gateway.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
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
 * The Kubernetes manifests ({@code deploy/k8s}, the overlays under {@code deploy/examples} and
 * {@code deploy/overlays}), the Grafana dashboard ({@code deploy/dashboards}) and the image build
 * ({@code deploy/Dockerfile}) against the services they run: ports, hosts, environment variables
 * and probes as the services' {@code application.properties} and config mappings define them, the
 * gateway's gRPC clients and Redis URL pointing at Services that exist, images built from each
 * module's own fast-jar, metrics and labels the services register, and every file of a
 * kustomization folder named by it. {@code ManifestSchemaTest} validates the rendered objects.
 */
class KubernetesManifestsTest {

    private static final Path ROOT = repositoryRoot();
    private static final Path DEPLOY = ROOT.resolve("deploy");
    private static final Path AUTOSCALING = DEPLOY.resolve("examples/autoscaling");
    private static final Path PRODUCTION = DEPLOY.resolve("overlays/production");
    private static final Path DASHBOARDS = DEPLOY.resolve("dashboards");
    private static final List<String> STAGES = List.of("text-encoder-svc", "prior-svc", "decoder-svc");
    private static final String GATEWAY = "gateway";
    private static final List<String> SERVICES = List.of("text-encoder-svc", "prior-svc", "decoder-svc", GATEWAY);
    /** Environment variables read by the JVM (or its launcher) rather than by Quarkus' configuration. */
    private static final Set<String> JVM_ENVIRONMENT = Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
    private static final Pattern FROM = Pattern.compile("^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?\\s*$", Pattern.CASE_INSENSITIVE);
    private static final Pattern COPY = Pattern.compile("^COPY\\s+((?:--\\S+\\s+)*)(\\S+)\\s+(\\S+)\\s*$");
    private static final Pattern COPY_FROM = Pattern.compile("--from=(\\S+)");

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
        assertThat(folders).contains(DEPLOY.resolve("k8s"), AUTOSCALING.resolve("keda"), AUTOSCALING.resolve("hpa"), PRODUCTION);
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
            List<String[]> copies = contextCopies(service);
            assertThat(copies).as("COPY lines of target %s, as build-context paths", service)
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

    @Test
    void stageImagesTakeTheirLibrariesFromTheBuildStageThatTrimsTheNatives() throws IOException {
        String script = Files.readString(DEPLOY.resolve("images/trim-natives.sh"));
        // the fast-jar names its libraries <groupId>.<artifactId>-<version>.jar
        assertThat(script).contains("com.microsoft.onnxruntime.onnxruntime", "ai.djl.huggingface.tokenizers-");
        assertThat(Files.readString(DEPLOY.resolve("Dockerfile.dockerignore"))).contains("!deploy/images/trim-natives.sh");
        for (String stage : STAGES) {
            String[] lib = allCopies(stage).stream()
                    .filter(copy -> copy[1].equals("/app/lib/"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(stage + " copies no /app/lib/"));
            assertThat(lib[2]).as("%s copies its lib/ from a build stage", stage).isNotNull();
            assertThat(copies(lib[2])).anySatisfy(copy -> assertThat(copy[0]).isEqualTo("deploy/images/trim-natives.sh"));
            assertThat(runs(lib[2])).as("RUN lines of %s", lib[2])
                    .anySatisfy(run -> assertThat(run).contains("trim-natives").contains(lib[0] + "main"));
        }
        assertThat(allCopies(GATEWAY)).allSatisfy(copy -> assertThat(copy[2]).as("the gateway loads no natives").isNull());
    }

    @Test
    void theGpuExample_putsTheDecoderOnOneNvidiaGpu_withTheCudaProvider_andTheGpuImage() throws IOException {
        Kustomization gpu = Kustomization.load(DEPLOY.resolve("examples/gpu"));
        assertThat(gpu.spec().path("images")).singleElement().satisfies(image -> {
            assertThat(image.path("name").asText()).isEqualTo("unclip/decoder-svc");
            // deploy/images/build.sh --gpu names the GPU images <repository>/<stage>-gpu
            assertThat(image.path("newName").asText()).isEqualTo("unclip/decoder-svc-gpu");
        });
        assertThat(Files.readString(DEPLOY.resolve("images/build.sh"))).contains("echo \"$repository/$1-gpu:$tag\"");
        assertThat(gpu.patches()).singleElement().satisfies(patch -> {
            assertThat(targets(patch.target())).containsExactly("decoder-svc");
            Map<String, JsonNode> ops = new LinkedHashMap<>();
            patch.jsonOperations().forEach(op -> ops.put(op.path("path").asText(), op.path("value")));
            assertThat(ops).containsKeys("/spec/template/spec/containers/0/env/-",
                    "/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu", "/spec/template/spec/tolerations",
                    "/spec/template/spec/nodeSelector", "/spec/template/spec/volumes/0/emptyDir/sizeLimit");
            JsonNode env = ops.get("/spec/template/spec/containers/0/env/-");
            assertThat(env.path("name").asText()).isEqualTo("UNCLIP_ONNX_EXECUTION_PROVIDER");
            assertThat(env.path("value").asText()).isEqualTo("cuda");
            ServiceProperties decoder = properties("decoder-svc");
            assertThat(decoder.keyOfEnv("UNCLIP_ONNX_EXECUTION_PROVIDER")).contains("unclip.onnx.execution-provider");
            assertThat(decoder.defaultValue("unclip.onnx.execution-provider")).contains("cpu");
            assertThat(decoder.defaultValue("unclip.onnx.cuda-device")).contains("0");
            assertThat(ops.get("/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu").asText()).isEqualTo("1");
            assertThat(ops.get("/spec/template/spec/tolerations")).anySatisfy(toleration -> {
                assertThat(toleration.path("key").asText()).isEqualTo("nvidia.com/gpu");
                assertThat(toleration.path("operator").asText()).isEqualTo("Exists");
            });
            assertThat(ops.get("/spec/template/spec/nodeSelector").path("nvidia.com/gpu.present").asText()).isEqualTo("true");
            // the /tmp the patch enlarges is the base decoder's first volume, which holds the unpacked natives
            JsonNode volume = object("Deployment", "decoder-svc").path("spec").path("template").path("spec").path("volumes").get(0);
            assertThat(volume.path("name").asText()).isEqualTo("tmp");
        });
        // the GPU image is the same Dockerfile with ONNX_VARIANT=gpu; CPU by default
        assertThat(dockerfile).contains("ARG ONNX_VARIANT=cpu");
        assertThat(Files.readString(DEPLOY.resolve("images/trim-natives.sh")))
                .contains("gpu) onnx_artifact=onnxruntime_gpu", "cpu) onnx_artifact=onnxruntime ");
        assertThat(Files.readString(ROOT.resolve("pom.xml"))).contains("<onnxruntime.artifact>onnxruntime_gpu</onnxruntime.artifact>");
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
                if (generator.localConfig()) {
                    continue; // parameters of the kustomization itself, not applied
                }
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
        assertThat(gateway.keyOfEnv("UNCLIP_JOBS_WORKER_MAX_IN_FLIGHT")).contains("unclip.jobs.worker.max-in-flight");
        assertThat(gateway.keyOfEnv("UNCLIP_JOBS_WORKER_CONCURRENCY")).isEmpty();
        assertThat(gateway.keyOfEnv("UNCLIP_STAGES_DECODER_MAX_IN_FLIGHT")).contains("unclip.stages.decoder-max-in-flight");
        // The stages' config mappings are read from source: stage-runtime's BatchingConfig counts for each stage.
        for (String stage : STAGES) {
            ServiceProperties properties = properties(stage);
            assertThat(properties.mappedDefaults())
                    .as("%s: unclip.batching.* from stage-runtime's BatchingConfig", stage)
                    .containsEntry("unclip.batching.max-batch-size", "16")
                    .containsEntry("unclip.batching.window", "2ms")
                    .containsEntry("unclip.batching.max-waiting", "64");
            assertThat(properties.mappedDefaults()).containsEntry("unclip.family.dir", "models/shapes-tiny")
                    .containsEntry("unclip.onnx.threads", "2")
                    .doesNotContainKey("unclip.batching.settings");
            assertThat(properties.keyOfEnv("UNCLIP_BATCHING_MAX_WAITING")).contains("unclip.batching.max-waiting");
        }
        assertThat(properties("text-encoder-svc").mappedDefaults()).containsEntry("unclip.max-image-bytes", "4194304");
        assertThat(properties("decoder-svc").mappedDefaults()).doesNotContainKey("unclip.max-image-bytes");
        assertThat(ConfigMappingSource.parse("""
                @ConfigMapping(prefix = "x")
                interface X {
                    // @WithDefault("no") comment
                    @WithDefault("a//b") String url();
                    @WithName("renamed") @WithDefault("1") int original();
                    Group group();
                    default int twice() { return 2 * original(); }
                    interface Group {
                        /** javadoc; with { braces } */
                        java.util.Optional<String> maybe();
                    }
                }
                """)).containsExactly(
                        entry("x.url", "a//b"), entry("x.renamed", "1"), entry("x.group.maybe", null));
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

    // ------------------------------------------------------------------ metrics and autoscaling

    @Test
    void everyServiceServesPrometheusMetrics_andItsPodsSayWhere() {
        for (String service : SERVICES) {
            boolean registry = ConfigMappingSource.moduleAndDependencies(ROOT, service).stream().anyMatch(dir -> {
                try {
                    return Files.readString(dir.resolve("pom.xml"))
                            .contains("<artifactId>quarkus-micrometer-registry-prometheus</artifactId>");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(registry).as("%s (or a module it depends on) has the Prometheus registry", service).isTrue();
            JsonNode deployment = object("Deployment", service);
            JsonNode container = container(deployment);
            Map<String, String> env = environment(base, container);
            ServiceProperties properties = properties(service);
            assertThat(properties.effective("quarkus.micrometer.enabled", env)).as(service).isNotEqualTo(Optional.of("false"));
            String path = properties.effective("quarkus.micrometer.export.prometheus.path", env).orElse("/q/metrics");
            JsonNode annotations = deployment.path("spec").path("template").path("metadata").path("annotations");
            assertThat(annotations.path("prometheus.io/scrape").asText()).as("%s pods are scraped", service).isEqualTo("true");
            assertThat(annotations.path("prometheus.io/port").asText()).as("%s metrics port", service)
                    .isEqualTo(String.valueOf(containerPort(container, "http")));
            assertThat(annotations.path("prometheus.io/path").asText()).as("%s metrics path", service).isEqualTo(path);
        }
    }

    @Test
    void metricNamesInDeploy_areMetricsTheServicesRegister() throws IOException {
        Set<String> registered = registeredMetrics();
        assertThat(registered).contains("unclip_stage_calls_in_flight", "unclip_gateway_consumer_lag");
        Pattern token = Pattern.compile("(?<![A-Za-z0-9_])unclip_[a-z0-9_]+");
        Map<String, Set<String>> unknown = new TreeMap<>();
        List<Path> files = new ArrayList<>(List.of(DEPLOY.resolve("README.md")));
        try (Stream<Path> walk = Files.walk(DEPLOY.resolve("examples"))) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        }
        for (String folder : List.of("k8s", "overlays", "dashboards")) {
            try (Stream<Path> walk = Files.walk(DEPLOY.resolve(folder))) {
                walk.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        for (Path file : files) {
            Matcher matcher = token.matcher(Files.readString(file));
            while (matcher.find()) {
                String name = matcher.group();
                if (!name.endsWith("_") && !registered.contains(name)) {
                    unknown.computeIfAbsent(ROOT.relativize(file).toString(), f -> new TreeSet<>()).add(name);
                }
            }
        }
        assertThat(unknown).as("metric names in deploy/ that no service registers (registered: %s)", registered).isEmpty();
    }

    @Test
    void autoscalingExamples_leaveEveryDeploymentsReplicasToTheAutoscalers_andReconnectSooner() {
        Kustomization common = Kustomization.load(AUTOSCALING.resolve("common"));
        assertThat(common.resources()).containsExactly("../../../k8s");
        assertThat(common.patches()).anySatisfy(patch -> {
            assertThat(patch.target().path("kind").asText()).isEqualTo("Deployment");
            assertThat(patch.target().has("name") || patch.target().has("labelSelector"))
                    .as("the patch applies to every Deployment: each one is autoscaled")
                    .isFalse();
            assertThat(patch.inline()).contains("op: remove").contains("path: /spec/replicas");
        });
        Map<String, String> stages = common.configMapGenerators().stream()
                .filter(g -> g.name().equals("unclip-stages"))
                .peek(g -> assertThat(g.behavior()).isEqualTo("merge"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("autoscaling/common merges nothing into unclip-stages"))
                .entries();
        for (String stage : STAGES) {
            String age = properties(stage).defaultValue("unclip.grpc.max-connection-age").orElseThrow();
            assertThat(seconds(stages.get("UNCLIP_GRPC_MAX_CONNECTION_AGE")))
                    .as("%s: gateways find added replicas sooner than after the default %s", stage, age)
                    .isPositive()
                    .isLessThan(seconds(age));
        }
        for (String example : List.of("keda", "hpa")) {
            assertThat(Kustomization.load(AUTOSCALING.resolve(example)).resources()).as(example).contains("../common");
        }
    }

    @Test
    void kedaExample_scalesEachStageOnItsOwnCallsInFlight_andTheGatewaysOnTheJobStream() {
        Kustomization keda = Kustomization.load(AUTOSCALING.resolve("keda"));
        Map<String, JsonNode> scaled = new TreeMap<>();
        for (JsonNode object : keda.objects()) {
            assertThat(object.path("apiVersion").asText()).isEqualTo("keda.sh/v1alpha1");
            assertThat(kind(object)).isEqualTo("ScaledObject");
            JsonNode target = object.path("spec").path("scaleTargetRef");
            assertThat(target.path("kind").asText("Deployment")).isEqualTo("Deployment");
            object("Deployment", target.path("name").asText());
            scaled.put(target.path("name").asText(), object);
            int min = object.path("spec").path("minReplicaCount").asInt(0);
            assertThat(min).as("%s: a stage with no pod fails its calls", name(object)).isPositive()
                    .isLessThan(object.path("spec").path("maxReplicaCount").asInt());
        }
        assertThat(scaled.keySet()).containsExactlyInAnyOrderElementsOf(SERVICES);

        for (String stage : STAGES) {
            Map<String, String> env = environment(base, container(object("Deployment", stage)));
            ServiceProperties properties = properties(stage);
            JsonNode trigger = trigger(scaled.get(stage), "prometheus");
            String query = trigger.path("metadata").path("query").asText();
            assertThat(query).as("%s scales on its own calls", stage)
                    .contains("unclip_stage_calls_in_flight")
                    .contains("service=\"" + properties.effective("quarkus.application.name", env).orElseThrow() + "\"")
                    .contains("service=\"" + stage + "\"");
            assertThat(trigger.path("metadata").path("threshold").asText())
                    .as("%s: calls per replica = its unclip.batching.max-batch-size", stage)
                    .isEqualTo(String.valueOf(properties.effectiveInt("unclip.batching.max-batch-size", env)));
        }

        ServiceProperties gateway = properties(GATEWAY);
        Map<String, String> env = environment(base, container(object("Deployment", GATEWAY)));
        JsonNode gatewayScaler = scaled.get(GATEWAY);
        assertThat(gatewayScaler.path("spec").path("minReplicaCount").asInt())
                .as("the PodDisruptionBudget keeps one gateway: at least two let nodes drain")
                .isGreaterThan(object("PodDisruptionBudget", GATEWAY).path("spec").path("minAvailable").asInt());
        JsonNode stream = trigger(gatewayScaler, "redis-streams").path("metadata");
        assertThat(stream.path("stream").asText()).isEqualTo(
                gateway.effective("unclip.redis.key-prefix", env).orElseThrow() + gateway.effective("unclip.jobs.stream", env).orElseThrow());
        assertThat(stream.path("consumerGroup").asText()).isEqualTo(gateway.effective("unclip.jobs.group", env).orElseThrow());
        assertThat(Integer.parseInt(stream.path("lagCount").asText())).isPositive();
        JsonNode running = trigger(gatewayScaler, "prometheus").path("metadata");
        assertThat(running.path("query").asText()).contains("unclip_gateway_jobs_in_flight");
        assertThat(Integer.parseInt(running.path("threshold").asText()))
                .as("jobs per gateway, below unclip.jobs.worker.max-in-flight so that full gateways ask for more")
                .isPositive()
                .isLessThan(gateway.effectiveInt("unclip.jobs.worker.max-in-flight", env));

        // The addresses are parameters (params.env), copied into the triggers by replacements.
        Kustomization.Generator params = keda.configMapGenerators().stream()
                .filter(Kustomization.Generator::localConfig)
                .findFirst()
                .orElseThrow(() -> new AssertionError("keda/ has no local-config parameters"));
        Map<String, String> values = params.entries();
        Map<String, String> copiedTo = new TreeMap<>();
        for (JsonNode replacement : keda.spec().path("replacements")) {
            assertThat(replacement.path("source").path("name").asText()).isEqualTo(params.name());
            String field = replacement.path("source").path("fieldPath").asText().replaceFirst("^data\\.", "");
            assertThat(values).containsKey(field);
            for (JsonNode target : replacement.path("targets")) {
                target.path("fieldPaths").forEach(p -> copiedTo.put(p.asText(), field));
            }
        }
        assertThat(copiedTo).containsKeys(
                "spec.triggers.[type=prometheus].metadata.serverAddress",
                "spec.triggers.[type=redis-streams].metadata.address");
        assertThat(URI.create(values.get(copiedTo.get("spec.triggers.[type=prometheus].metadata.serverAddress"))).getScheme())
                .isIn("http", "https");
        URI redisUrl = URI.create(gateway.effective("unclip.redis.url", env).orElseThrow());
        String[] address = values.get(copiedTo.get("spec.triggers.[type=redis-streams].metadata.address")).split(":");
        assertThat(address[0]).as("the Redis the gateways use, by a name KEDA's namespace resolves")
                .startsWith(redisUrl.getHost() + ".")
                .endsWith(".svc");
        assertThat(Integer.parseInt(address[1])).isEqualTo(redisUrl.getPort());
    }

    @Test
    void hpaExample_scalesEachStageOnItsOwnCallsInFlight_withMetricsTheAdapterRulesServe() {
        Kustomization hpa = Kustomization.load(AUTOSCALING.resolve("hpa"));
        Map<String, JsonNode> scaled = new TreeMap<>();
        Set<String> podMetrics = new TreeSet<>();
        Set<String> externalMetrics = new TreeSet<>();
        for (JsonNode object : hpa.objects()) {
            assertThat(object.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
            assertThat(kind(object)).isEqualTo("HorizontalPodAutoscaler");
            JsonNode target = object.path("spec").path("scaleTargetRef");
            assertThat(target.path("kind").asText()).isEqualTo("Deployment");
            object("Deployment", target.path("name").asText());
            scaled.put(target.path("name").asText(), object);
            assertThat(object.path("spec").path("minReplicas").asInt(1)).isPositive()
                    .isLessThan(object.path("spec").path("maxReplicas").asInt());
            for (JsonNode metric : object.path("spec").path("metrics")) {
                String type = metric.path("type").asText();
                assertThat(type).as("%s scales on the services' own metrics, not CPU", name(object)).isIn("Pods", "External");
                (type.equals("Pods") ? podMetrics : externalMetrics)
                        .add(metric.path(type.equals("Pods") ? "pods" : "external").path("metric").path("name").asText());
            }
        }
        assertThat(scaled.keySet()).containsExactlyInAnyOrderElementsOf(SERVICES);
        for (String stage : STAGES) {
            Map<String, String> env = environment(base, container(object("Deployment", stage)));
            JsonNode metric = scaled.get(stage).path("spec").path("metrics").get(0);
            assertThat(scaled.get(stage).path("spec").path("metrics")).hasSize(1);
            assertThat(metric.path("pods").path("metric").path("name").asText()).isEqualTo("unclip_stage_calls_in_flight");
            assertThat(metric.path("pods").path("target").path("type").asText()).isEqualTo("AverageValue");
            assertThat(metric.path("pods").path("target").path("averageValue").asText())
                    .as("%s: calls per replica = its unclip.batching.max-batch-size", stage)
                    .isEqualTo(String.valueOf(properties(stage).effectiveInt("unclip.batching.max-batch-size", env)));
        }
        assertThat(externalMetrics).contains("unclip_gateway_consumer_lag");

        // prometheus-adapter must serve each of them: custom rules for Pods, external rules for External.
        List<JsonNode> values = Kustomization.readYaml(AUTOSCALING.resolve("prometheus-adapter-values.yaml"));
        assertThat(values).hasSize(1);
        assertThat(adapterMetrics(values.get(0).path("rules").path("custom"))).containsAll(podMetrics);
        assertThat(adapterMetrics(values.get(0).path("rules").path("external"))).containsAll(externalMetrics);
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

    // ------------------------------------------------------------------ Redis, DNS, production

    @Test
    void redisLeavesRoomAboveMaxmemoryForAFork_andItsGoverningServiceIsHeadless() {
        JsonNode redis = object("StatefulSet", "redis");
        JsonNode container = container(redis);
        List<String> args = new ArrayList<>();
        container.path("args").forEach(arg -> args.add(arg.asText()));
        double maxmemory = redisBytes(argument(args, "--maxmemory"));
        double limit = quantity(container.path("resources").path("limits").path("memory").asText());
        assertThat(maxmemory / limit)
                .as("maxmemory %s against the memory limit: an AOF rewrite forks Redis and copies the pages written meanwhile",
                        argument(args, "--maxmemory"))
                .isBetween(0.4, 0.65);
        JsonNode governing = object("Service", redis.path("spec").path("serviceName").asText());
        assertThat(governing.path("spec").path("clusterIP").asText()).as("a StatefulSet's governing Service is headless").isEqualTo("None");
        assertSelects(governing.path("spec").path("selector"), redis);
        URI url = URI.create(properties(GATEWAY).effective("unclip.redis.url", environment(base, container(object("Deployment", GATEWAY)))).orElseThrow());
        assertThat(object("Service", url.getHost()).path("spec").has("clusterIP"))
                .as("the gateways connect through a ClusterIP Service: its address outlives the pod's")
                .isFalse();
    }

    @Test
    void gatewayCachesDnsBriefly_soThatItsGrpcChannelsSeeNewStagePods() throws Exception {
        // grpc-java's DNS resolver skips a re-resolution within this system property's seconds (30 by
        // default); the JDK's own cache reads sun.net.inetaddr.ttl (Lettuce resolves through it).
        Class<?> resolver = Class.forName("io.grpc.internal.DnsNameResolver");
        var field = resolver.getDeclaredField("NETWORKADDRESS_CACHE_TTL_PROPERTY");
        field.setAccessible(true);
        String grpcProperty = (String) field.get(null);
        assertThat(grpcProperty).isEqualTo("networkaddress.cache.ttl");

        JsonNode container = container(object("Deployment", GATEWAY));
        Map<String, String> env = environment(base, container);
        assertThat(env).as("the gateway must keep the image's JAVA_TOOL_OPTIONS (heap, collector)").doesNotContainKey("JAVA_TOOL_OPTIONS");
        Map<String, String> flags = new TreeMap<>();
        for (String flag : env.getOrDefault("JDK_JAVA_OPTIONS", "").split("\\s+")) {
            if (flag.startsWith("-D") && flag.contains("=")) {
                flags.put(flag.substring(2, flag.indexOf('=')), flag.substring(flag.indexOf('=') + 1));
            }
        }
        for (String property : List.of(grpcProperty, "sun.net.inetaddr.ttl")) {
            assertThat(flags).as("JDK_JAVA_OPTIONS of the gateway sets %s", property).containsKey(property);
            assertThat(Integer.parseInt(flags.get(property))).as(property).isBetween(0, 10);
        }
    }

    @Test
    void productionOverlay_pinsEveryImageOfTheBaseByDigest_andNamesNoSnapshot() {
        Kustomization production = Kustomization.load(PRODUCTION);
        assertThat(production.resources()).contains("../../k8s");
        Map<String, JsonNode> images = new TreeMap<>();
        production.spec().path("images").forEach(image -> images.put(image.path("name").asText(), image));
        for (String service : SERVICES) {
            String image = container(object("Deployment", service)).path("image").asText();
            String name = image.substring(0, image.lastIndexOf(':'));
            assertThat(images).as("production images: sets %s", name).containsKey(name);
            JsonNode set = images.get(name);
            assertThat(set.path("digest").asText()).as("%s by digest", name).matches("sha256:[0-9a-f]{64}");
            assertThat(set.path("newName").asText()).as("%s from a registry", name).endsWith("/" + name).contains(".");
            assertThat(set.has("newTag")).as("%s: a digest, not a tag", name).isFalse();
        }
        assertThat(production.spec().toString()).doesNotContain("SNAPSHOT");
    }

    @Test
    void productionIngress_allowsTheGatewaysBodies_waits_andStreamsEventsUnbuffered() {
        JsonNode ingress = Kustomization.load(PRODUCTION).objects().stream()
                .filter(o -> kind(o).equals("Ingress"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the production overlay has no Ingress"));
        Map<String, String> env = environment(base, container(object("Deployment", GATEWAY)));
        ServiceProperties gateway = properties(GATEWAY);
        JsonNode annotations = ingress.path("metadata").path("annotations");
        assertThat(quantity(annotations.path("nginx.ingress.kubernetes.io/proxy-body-size").asText().toUpperCase(java.util.Locale.ROOT)))
                .as("proxy-body-size against quarkus.http.limits.max-body-size")
                .isGreaterThanOrEqualTo(quantity(gateway.effective("quarkus.http.limits.max-body-size", env).orElseThrow()));
        long wait = seconds(gateway.effective("unclip.jobs.wait-timeout", env).orElseThrow());
        for (String timeout : List.of("proxy-read-timeout", "proxy-send-timeout")) {
            assertThat(Long.parseLong(annotations.path("nginx.ingress.kubernetes.io/" + timeout).asText()))
                    .as("%s against unclip.jobs.wait-timeout", timeout)
                    .isGreaterThanOrEqualTo(wait);
        }
        assertThat(annotations.path("nginx.ingress.kubernetes.io/proxy-buffering").asText()).as("event streams unbuffered").isEqualTo("off");
        JsonNode backend = ingress.path("spec").path("rules").get(0).path("http").path("paths").get(0).path("backend").path("service");
        assertThat(backend.path("name").asText()).isEqualTo(GATEWAY);
        assertThat(object("Service", GATEWAY).path("spec").path("ports"))
                .anySatisfy(port -> assertThat(port.path("name").asText()).isEqualTo(backend.path("port").path("name").asText()));
    }

    @Test
    void jsonLogs_areAvailableToEveryService_offByDefault_andOnInProduction() throws IOException {
        for (String service : SERVICES) {
            boolean extension = ConfigMappingSource.moduleAndDependencies(ROOT, service).stream().anyMatch(dir -> {
                try {
                    return Files.readString(dir.resolve("pom.xml")).contains("<artifactId>quarkus-logging-json</artifactId>");
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(extension).as("%s (or a module it depends on) has quarkus-logging-json", service).isTrue();
            assertThat(properties(service).defaultValue("quarkus.log.console.json.enabled")).as(service).contains("false");
        }
        Kustomization production = Kustomization.load(PRODUCTION);
        Set<String> json = new TreeSet<>();
        for (Kustomization.Generator generator : production.configMapGenerators()) {
            if (!generator.localConfig() && "true".equals(generator.entries().get("QUARKUS_LOG_CONSOLE_JSON_ENABLED"))) {
                assertThat(generator.behavior()).isEqualTo("merge");
                json.addAll(servicesUsingConfigMap(generator.name()));
            }
        }
        assertThat(json).as("services logging JSON in production").containsExactlyInAnyOrderElementsOf(SERVICES);
    }

    @Test
    void grafanaDashboard_queriesOnlyMetricsAndLabelsTheServicesRegister() throws IOException {
        Map<String, Set<String>> labels = registeredLabels();
        assertThat(labels).containsKeys("unclip_stage_calls_in_flight", "unclip_gateway_job_duration_seconds_bucket");
        assertThat(labels.get("unclip_stage_calls_in_flight")).contains("service");
        assertThat(labels.get("unclip_gateway_stage_duration_seconds_bucket")).contains("stage", "outcome", "le");
        List<Path> dashboards;
        try (Stream<Path> files = Files.list(DASHBOARDS)) {
            dashboards = files.filter(f -> f.toString().endsWith(".json")).toList();
        }
        assertThat(dashboards).isNotEmpty();
        Pattern selector = Pattern.compile("(unclip_[a-z0-9_]+)\\s*(?:\\{([^}]*)\\})?");
        Pattern matcherLabel = Pattern.compile("([a-z_]+)\\s*(?:=~|!=|!~|=)");
        Pattern grouping = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
        for (Path file : dashboards) {
            JsonNode dashboard = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
            List<String> queries = new ArrayList<>();
            dashboard.findValues("expr").forEach(expr -> queries.add(expr.asText()));
            dashboard.path("templating").path("list").forEach(variable -> {
                if (variable.path("type").asText().equals("query")) {
                    queries.add(variable.path("definition").asText());
                }
            });
            assertThat(queries).as("queries of %s", file).hasSizeGreaterThan(5);
            for (String query : queries) {
                Matcher metrics = selector.matcher(query);
                Set<String> used = new TreeSet<>();
                while (metrics.find()) {
                    String metric = metrics.group(1);
                    assertThat(labels).as("%s: %s in %s is a metric the services register", file.getFileName(), metric, query).containsKey(metric);
                    used.add(metric);
                    if (metrics.group(2) != null) {
                        Matcher label = matcherLabel.matcher(metrics.group(2));
                        while (label.find()) {
                            assertThat(labels.get(metric)).as("%s: label %s of %s", file.getFileName(), label.group(1), metric)
                                    .contains(label.group(1));
                        }
                    }
                }
                assertThat(used).as("%s: %s queries a metric of the mesh", file.getFileName(), query).isNotEmpty();
                Matcher groups = grouping.matcher(query);
                while (groups.find()) {
                    for (String label : groups.group(1).split(",")) {
                        String name = label.strip();
                        assertThat(used).as("%s: %s groups by %s, which every metric it reads carries", file.getFileName(), query, name)
                                .allSatisfy(metric -> assertThat(labels.get(metric)).contains(name));
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Bytes of a Redis memory setting as redis.conf reads it (1mb = 2^20 bytes, 1m = 10^6). */
    private static double redisBytes(String setting) {
        Matcher matcher = Pattern.compile("([0-9]+)(k|kb|m|mb|g|gb)?", Pattern.CASE_INSENSITIVE).matcher(setting.strip());
        assertThat(matcher.matches()).as("Redis memory setting %s", setting).isTrue();
        double value = Double.parseDouble(matcher.group(1));
        String unit = matcher.group(2) == null ? "" : matcher.group(2).toLowerCase(java.util.Locale.ROOT);
        return switch (unit) {
            case "k" -> value * 1e3;
            case "kb" -> value * 1024;
            case "m" -> value * 1e6;
            case "mb" -> value * 1024 * 1024;
            case "g" -> value * 1e9;
            case "gb" -> value * 1024 * 1024 * 1024;
            default -> value;
        };
    }

    /**
     * The labels of each Prometheus series the services register: {@link #registeredMetrics()}'s
     * names, each with the tags of its meter (a histogram's buckets with {@code le} too). Scrape
     * labels (namespace, pod, instance, job) are added to every series.
     */
    private static Map<String, Set<String>> registeredLabels() throws IOException {
        Pattern builder = Pattern.compile("\\b(Gauge|Counter|Timer|DistributionSummary)\\.builder\\(\\s*\"([a-z0-9.]+)\"");
        Pattern tag = Pattern.compile("\\.tag\\(\\s*\"([a-z_]+)\"");
        Pattern tags = Pattern.compile("\\.tags\\(([^)]*)\\)");
        Map<String, Set<String>> out = new TreeMap<>();
        Set<Path> modules = new TreeSet<>();
        SERVICES.forEach(service -> modules.addAll(ConfigMappingSource.moduleAndDependencies(ROOT, service)));
        for (Path module : modules) {
            Path sources = module.resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(sources)) {
                for (Path file : walk.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String text = Files.readString(file);
                    Matcher matcher = builder.matcher(text);
                    while (matcher.find()) {
                        int end = text.indexOf(".register(", matcher.end());
                        String chain = text.substring(matcher.end(), end < 0 ? text.length() : end);
                        Set<String> names = new TreeSet<>(Set.of("namespace", "pod", "instance", "job"));
                        Matcher one = tag.matcher(chain);
                        while (one.find()) {
                            names.add(one.group(1));
                        }
                        Matcher several = tags.matcher(chain);
                        while (several.find()) {
                            String[] args = several.group(1).split(",");
                            for (int i = 0; i < args.length; i += 2) {
                                String arg = args[i].strip();
                                assertThat(arg).as("tag keys of %s are string literals", matcher.group(2)).matches("\"[a-z_]+\"");
                                names.add(arg.substring(1, arg.length() - 1));
                            }
                        }
                        String name = matcher.group(2).replace('.', '_');
                        switch (matcher.group(1)) {
                            case "Gauge" -> out.put(name, names);
                            case "Counter" -> out.put(name + "_total", names);
                            default -> {
                                String base = matcher.group(1).equals("Timer") ? name + "_seconds" : name;
                                for (String suffix : List.of("", "_count", "_sum", "_max")) {
                                    out.put(base + suffix, names);
                                }
                                Set<String> bucket = new TreeSet<>(names);
                                bucket.add("le");
                                out.put(base + "_bucket", bucket);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The one trigger of a type in a ScaledObject. */
    private static JsonNode trigger(JsonNode scaledObject, String type) {
        List<JsonNode> found = new ArrayList<>();
        scaledObject.path("spec").path("triggers").forEach(t -> {
            if (t.path("type").asText().equals(type)) {
                found.add(t);
            }
        });
        assertThat(found).as("%s triggers of ScaledObject %s", type, name(scaledObject)).hasSize(1);
        return found.get(0);
    }

    /** Names prometheus-adapter serves under a list of rules, each checked against its series query. */
    private static Set<String> adapterMetrics(JsonNode rules) {
        Set<String> names = new TreeSet<>();
        for (JsonNode rule : rules) {
            String as = rule.path("name").path("as").asText();
            assertThat(rule.path("seriesQuery").asText()).as("rule for %s", as).startsWith(as + "{");
            assertThat(as).matches(rule.path("name").path("matches").asText());
            assertThat(rule.path("metricsQuery").asText()).contains("<<.Series>>").contains("<<.LabelMatchers>>");
            assertThat(rule.path("resources").path("overrides").path("namespace").path("resource").asText()).isEqualTo("namespace");
            names.add(as);
        }
        return names;
    }

    /**
     * The Prometheus names of the meters the services register in their main sources (Micrometer
     * builders): a gauge as named, a counter with _total, a timer with _seconds, each histogram
     * also with _bucket, _count, _sum and _max.
     */
    private static Set<String> registeredMetrics() throws IOException {
        Pattern builder = Pattern.compile("\\b(Gauge|Counter|Timer|DistributionSummary)\\.builder\\(\\s*\"([a-z0-9.]+)\"");
        Set<String> names = new TreeSet<>();
        Set<Path> modules = new TreeSet<>();
        SERVICES.forEach(service -> modules.addAll(ConfigMappingSource.moduleAndDependencies(ROOT, service)));
        for (Path module : modules) {
            Path sources = module.resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(sources)) {
                for (Path file : walk.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String text = Files.readString(file);
                    Matcher matcher = builder.matcher(text);
                    while (matcher.find()) {
                        int end = text.indexOf(".register(", matcher.end());
                        assertThat(text.substring(matcher.end(), end < 0 ? text.length() : end))
                                .as("meter %s: a base unit changes its Prometheus name; teach this test", matcher.group(2))
                                .doesNotContain(".baseUnit(");
                        String name = matcher.group(2).replace('.', '_');
                        switch (matcher.group(1)) {
                            case "Gauge" -> names.add(name);
                            case "Counter" -> names.add(name + "_total");
                            default -> {
                                String base = matcher.group(1).equals("Timer") ? name + "_seconds" : name;
                                names.add(base);
                                List.of("_bucket", "_count", "_sum", "_max").forEach(suffix -> names.add(base + suffix));
                            }
                        }
                    }
                }
            }
        }
        return names;
    }


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

    /**
     * deploy/k8s and every kustomization under deploy/examples and deploy/overlays. A folder there without a
     * kustomization.yaml only groups examples (deploy/examples/autoscaling): it must hold at least
     * one, and its own files (documentation, Helm values) are no kustomization's.
     */
    private static List<Path> kustomizationFolders() {
        List<Path> folders = new ArrayList<>();
        folders.add(DEPLOY.resolve("k8s"));
        collectExamples(DEPLOY.resolve("examples"), folders);
        collectExamples(DEPLOY.resolve("overlays"), folders);
        return folders;
    }

    private static void collectExamples(Path dir, List<Path> folders) {
        List<Path> subfolders;
        try (Stream<Path> entries = Files.list(dir)) {
            subfolders = entries.filter(Files::isDirectory)
                    .filter(sub -> !sub.getFileName().toString().equals("node_modules"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new AssertionError("cannot list " + dir, e);
        }
        for (Path sub : subfolders) {
            if (Files.isRegularFile(sub.resolve("kustomization.yaml"))) {
                folders.add(sub);
                collectExamples(sub, folders);
            } else {
                int before = folders.size();
                collectExamples(sub, folders);
                assertThat(folders.size())
                        .as("%s has no kustomization.yaml: every example is a kustomization, or a folder of them", sub)
                        .isGreaterThan(before);
            }
        }
    }

    private static ServiceProperties properties(String service) {
        return service.equals(GATEWAY)
                ? ServiceProperties.load(ROOT, service, GatewayConfig.class)
                : ServiceProperties.loadFromSources(ROOT, service);
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

    /** The COPY lines (source, destination) of one Dockerfile target that copy from the build context. */
    private static List<String[]> copies(String target) {
        List<String[]> copies = new ArrayList<>();
        for (String[] copy : allCopies(target)) {
            if (copy[2] == null) {
                copies.add(new String[] {copy[0], copy[1]});
            }
        }
        assertThat(copies).as("COPY lines of Dockerfile target %s", target).isNotEmpty();
        return copies;
    }

    /**
     * The COPY lines (source, destination) of one Dockerfile target with each source as a build-context
     * path: a {@code COPY --from=<stage> /x/y /dest} is followed to the COPY of that stage that put the
     * build context's files at {@code /x}.
     */
    private static List<String[]> contextCopies(String target) {
        List<String[]> resolved = new ArrayList<>();
        for (String[] copy : allCopies(target)) {
            if (copy[2] == null) {
                resolved.add(new String[] {copy[0], copy[1]});
                continue;
            }
            String[] origin = copies(copy[2]).stream()
                    .filter(from -> copy[0].startsWith(from[1]))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no COPY of stage " + copy[2] + " puts " + copy[0] + " there"));
            resolved.add(new String[] {origin[0] + copy[0].substring(origin[1].length()), copy[1]});
        }
        assertThat(resolved).as("COPY lines of Dockerfile target %s", target).isNotEmpty();
        return resolved;
    }

    /** The COPY lines (source, destination, the stage of --from= or null) of one Dockerfile target. */
    private static List<String[]> allCopies(String target) {
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
                Matcher stage = COPY_FROM.matcher(copy.group(1));
                copies.add(new String[] {copy.group(2), copy.group(3), stage.find() ? stage.group(1) : null});
            }
        }
        return copies;
    }

    /** The RUN lines of one Dockerfile target. */
    private static List<String> runs(String target) {
        List<String> runs = new ArrayList<>();
        String current = null;
        for (String line : dockerfile) {
            Matcher from = FROM.matcher(line.strip());
            if (from.matches()) {
                current = from.group(2);
            } else if (target.equals(current) && line.startsWith("RUN ")) {
                runs.add(line.substring("RUN ".length()).strip());
            }
        }
        return runs;
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
