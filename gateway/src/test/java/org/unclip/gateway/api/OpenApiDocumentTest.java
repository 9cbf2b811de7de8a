package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.ws.rs.HttpMethod;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jboss.resteasy.reactive.RestForm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.testing.FakeStagesResource;

/**
 * The OpenAPI document at {@code /q/openapi} against what the gateway actually serves: the same
 * paths and methods (read from the JAX-RS resources, and each documented one answered by a real
 * route), and the request fields the parsers accept.
 */
@QuarkusTest
@QuarkusTestResource(FakeStagesResource.class)
class OpenApiDocumentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NORMAL).build();
    private static final String JOB = "0123456789abcdef0123456789abcdef";

    @TestHTTPResource("/")
    URI base;

    private JsonNode doc;

    @BeforeEach
    void fetch() throws Exception {
        HttpResponse<String> response =
                HTTP.send(HttpRequest.newBuilder(base.resolve("/q/openapi?format=json")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        doc = JSON.readTree(response.body());
    }

    // ------------------------------------------------------------------ helpers

    /** "METHOD /path" of every operation in the document. */
    private Set<String> documented() {
        Set<String> out = new TreeSet<>();
        for (Iterator<String> paths = doc.get("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            for (Iterator<String> methods = doc.get("paths").get(path).fieldNames(); methods.hasNext(); ) {
                out.add(methods.next().toUpperCase(Locale.ROOT) + " " + path);
            }
        }
        return out;
    }

    /** "METHOD /path" of every resource method of every JAX-RS resource class of the gateway. */
    private static Set<String> served() throws Exception {
        Path classes = Path.of(ImagesResource.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> resources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> type = Class.forName(name, false, OpenApiDocumentTest.class.getClassLoader());
                if (type.isAnnotationPresent(jakarta.ws.rs.Path.class)) {
                    resources.add(type);
                }
            }
        }
        assertThat(resources).as("resource classes found in " + classes).contains(ImagesResource.class, JobsResource.class);
        Set<String> out = new TreeSet<>();
        for (Class<?> resource : resources) {
            String prefix = resource.getAnnotation(jakarta.ws.rs.Path.class).value();
            for (Method method : resource.getDeclaredMethods()) {
                for (Annotation annotation : method.getAnnotations()) {
                    HttpMethod http = annotation.annotationType().getAnnotation(HttpMethod.class);
                    if (http != null) {
                        jakarta.ws.rs.Path sub = method.getAnnotation(jakarta.ws.rs.Path.class);
                        String path = prefix + (sub == null ? "" : sub.value());
                        // {index: [0-9]{1,3}} -> {index}, as OpenAPI writes a templated segment.
                        path = path.replaceAll("\\{(\\w+)\\s*:[^/]*?\\}(?=[./]|$)", "{$1}");
                        out.add(http.value() + " " + path);
                    }
                }
            }
        }
        return out;
    }

    private JsonNode operation(String method, String path) {
        JsonNode op = doc.path("paths").path(path).path(method.toLowerCase(Locale.ROOT));
        assertThat(op.isMissingNode()).as(method + " " + path + " documented").isFalse();
        return op;
    }

    private JsonNode schema(JsonNode node) {
        if (node.has("$ref")) {
            String ref = node.get("$ref").asText();
            assertThat(ref).startsWith("#/components/schemas/");
            JsonNode target = doc.path("components").path("schemas").path(ref.substring("#/components/schemas/".length()));
            assertThat(target.isMissingNode()).as(ref).isFalse();
            return target;
        }
        return node;
    }

    private static Set<String> names(JsonNode object) {
        Set<String> out = new TreeSet<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private JsonNode requestSchema(String method, String path, String mediaType) {
        JsonNode body = operation(method, path).path("requestBody");
        assertThat(body.path("content").has(mediaType)).as(method + " " + path + " request body " + body).isTrue();
        return schema(body.path("content").path(mediaType).path("schema"));
    }

    private JsonNode responseSchema(String method, String path, String status, String mediaType) {
        JsonNode response = operation(method, path).path("responses").path(status);
        assertThat(response.path("content").has(mediaType)).as(method + " " + path + " " + status + " " + response).isTrue();
        return schema(response.path("content").path(mediaType).path("schema"));
    }

    private Set<String> properties(JsonNode schema) {
        return names(schema.path("properties"));
    }

    // ------------------------------------------------------------------ paths

    @Test
    void documentsExactlyThePathsAndMethodsTheGatewayServes() throws Exception {
        Set<String> documented = documented();

        assertThat(documented)
                .contains(
                        "POST /v1/images/generations",
                        "POST /v1/images/variations",
                        "POST /v1/images/edits",
                        "POST /v1/images/interpolations",
                        "POST /v1/images/text_diffs",
                        "GET /v1/images/results/{job}/{index}.png",
                        "GET /v1/images/jobs/{job}",
                        "POST /v1/jobs",
                        "GET /v1/jobs/{job}",
                        "DELETE /v1/jobs/{job}",
                        "GET /v1/jobs/{job}/events");
        assertThat(documented).isEqualTo(served());
    }

    @Test
    void everyDocumentedOperation_isAnsweredByARoute() throws Exception {
        for (String operation : documented()) {
            String[] parts = operation.split(" ", 2);
            String path = parts[1].replace("{job}", JOB).replace("{index}", "0");
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10));
            if (parts[0].equals("POST")) {
                request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}"));
            } else {
                request.method(parts[0], HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(operation + ": " + response.body()).isNotEqualTo(405);
            assertThat(response.body()).as(operation).doesNotContain("Invalid URL");
            // A job that does not exist is the answer of the route itself, in the OpenAI error shape.
            if (response.statusCode() == 404) {
                assertThat(JSON.readTree(response.body()).path("error").path("message").asText()).as(operation).containsIgnoringCase("job");
            }
        }
    }

    @Test
    void infoNamesTheApi_andSwaggerUiIsServed() throws Exception {
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        assertThat(doc.path("info").path("title").asText()).isEqualTo("unCLIP mesh gateway API");
        assertThat(doc.path("info").path("version").asText()).isNotBlank();
        HttpResponse<String> ui = HTTP.send(HttpRequest.newBuilder(base.resolve("/q/swagger-ui/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).containsIgnoringCase("swagger");
    }

    @Test
    void everyOperationHasAnIdAndASummary() {
        for (String operation : documented()) {
            String[] parts = operation.split(" ", 2);
            JsonNode op = operation(parts[0], parts[1]);
            assertThat(op.path("operationId").asText()).as(operation).isNotBlank();
            assertThat(op.path("summary").asText()).as(operation).isNotBlank();
        }
    }

    @Test
    void theBearerApiKey_isASecurityScheme_optionalWhileNoKeysAreConfigured() {
        JsonNode scheme = doc.path("components").path("securitySchemes").path(OpenApiRuntimeFilter.API_KEY_SCHEME);
        assertThat(scheme.path("type").asText()).isEqualTo("http");
        assertThat(scheme.path("scheme").asText()).isEqualTo("bearer");
        for (String operation : documented()) {
            String[] parts = operation.split(" ", 2);
            JsonNode security = operation(parts[0], parts[1]).path("security");
            if (parts[1].startsWith("/v1/") && !parts[1].startsWith("/v1/images/results/")) {
                // [{}, {"ApiKey": []}]: no key, or a key.
                assertThat(security).as(operation).hasSize(2);
                assertThat(names(security.get(0))).as(operation).isEmpty();
                assertThat(names(security.get(1))).as(operation).containsExactly(OpenApiRuntimeFilter.API_KEY_SCHEME);
            } else {
                assertThat(security.isMissingNode()).as(operation).isTrue();
            }
        }
    }

    @Test
    void everyV1Operation_documentsThe403OfOtherOrigins_andTheJobEndpointsTheir404() {
        for (String operation : documented()) {
            String[] parts = operation.split(" ", 2);
            if (parts[1].startsWith("/v1/")) {
                assertError(responseSchema(parts[0], parts[1], "403", "application/json"));
                assertThat(operation(parts[0], parts[1]).path("responses").path("403").path("description").asText())
                        .as(operation).contains("cross_origin_refused");
            }
            if (parts[1].contains("{job}")) {
                assertError(responseSchema(parts[0], parts[1], "404", "application/json"));
                assertThat(operation(parts[0], parts[1]).path("responses").path("404").path("description").asText())
                        .as(operation).contains("another API key");
            }
        }
    }

    @Test
    void everyOperationWithABody_documentsThe413OfItsBodyLimit() {
        for (String operation : documented()) {
            String[] parts = operation.split(" ", 2);
            JsonNode op = operation(parts[0], parts[1]);
            if (op.has("requestBody")) {
                assertError(responseSchema(parts[0], parts[1], "413", "application/json"));
                String description = op.path("responses").path("413").path("description").asText();
                if (RequestBodyLimit.IMAGE_ENDPOINTS.contains(parts[1])) {
                    assertThat(description).as(operation).contains("16777216").contains("unclip.api.max-image-body-size");
                } else {
                    assertThat(description).as(operation).contains("65536").contains("unclip.api.max-body-size");
                }
            }
        }
        assertThat(operation("POST", "/v1/images/generations").path("responses").path("413").path("description").asText())
                .contains("64 KiB");
    }

    // ------------------------------------------------------------------ request bodies

    @Test
    void generationRequest_hasExactlyTheFieldsTheParserAccepts() {
        JsonNode schema = requestSchema("POST", "/v1/images/generations", "application/json");
        assertThat(properties(schema)).isEqualTo(new TreeSet<>(GenerationRequestParser.KNOWN_FIELDS));
        assertThat(properties(schema)).contains("prompt", "n", "size", "response_format", "seed");
        assertThat(schema.path("required")).extracting(JsonNode::asText).containsExactly("prompt");
        JsonNode props = schema.path("properties");
        assertThat(props.path("n").path("minimum").asInt()).isEqualTo(1);
        assertThat(props.path("n").path("maximum").asInt()).isEqualTo(10);
        assertThat(props.path("response_format").path("enum")).extracting(JsonNode::asText).containsExactlyInAnyOrder("b64_json", "url");
        assertThat(props.path("size").path("enum")).extracting(JsonNode::asText).containsExactly("256x256", "64x64");
        assertThat(props.path("seed").path("format").asText()).isEqualTo("int64");
    }

    /** The form fields a resource method reads: its own {@code @RestForm} parameters and those of its bean parameters. */
    private static Set<String> formFields(Class<?> resource, String methodName) {
        Set<String> read = new TreeSet<>();
        for (Method method : resource.getDeclaredMethods()) {
            if (method.getName().equals(methodName)) {
                for (Parameter parameter : method.getParameters()) {
                    RestForm form = parameter.getAnnotation(RestForm.class);
                    if (form != null) {
                        read.add(form.value());
                    }
                    if (parameter.isAnnotationPresent(jakarta.ws.rs.BeanParam.class)) {
                        for (java.lang.reflect.Field field : parameter.getType().getDeclaredFields()) {
                            RestForm fieldForm = field.getAnnotation(RestForm.class);
                            if (fieldForm != null) {
                                read.add(fieldForm.value());
                            }
                        }
                    }
                }
            }
        }
        return read;
    }

    @Test
    void variationForm_isMultipart_withTheFieldsTheEndpointReads() throws Exception {
        JsonNode schema = requestSchema("POST", "/v1/images/variations", "multipart/form-data");
        Set<String> read = formFields(ImagesResource.class, "variations");
        assertThat(read).contains("image", "n", "size");
        assertThat(properties(schema)).isEqualTo(read);
        assertThat(schema.path("properties").path("image").path("format").asText()).isEqualTo("binary");
        assertThat(schema.path("required")).extracting(JsonNode::asText).containsExactly("image");
    }

    @Test
    void jobRequest_asAForm_isAVariationJob_withTheFieldsTheMultipartMethodReads() throws Exception {
        JsonNode schema = requestSchema("POST", "/v1/jobs", "multipart/form-data");
        Set<String> read = formFields(JobsResource.class, "submitVariation");
        assertThat(read).containsAll(formFields(ImagesResource.class, "variations")).contains("type", "previews");
        assertThat(properties(schema)).isEqualTo(read);
        assertThat(schema.path("required")).extracting(JsonNode::asText).containsExactly("image");
        assertThat(schema.path("properties").path("type").path("enum")).extracting(JsonNode::asText).containsExactly("variation");
        // One operation for both bodies.
        assertThat(operation("POST", "/v1/jobs").path("operationId").asText()).isEqualTo("createJob");
        assertThat(names(operation("POST", "/v1/jobs").path("requestBody").path("content")))
                .containsExactlyInAnyOrder("application/json", "multipart/form-data");
    }

    @Test
    void interpolationAndTextDiffRequests_haveExactlyTheFieldsTheParserAccepts() {
        JsonNode interpolation = requestSchema("POST", "/v1/images/interpolations", "application/json");
        assertThat(properties(interpolation)).isEqualTo(new TreeSet<>(ManipulationRequestParser.INTERPOLATION_FIELDS));
        assertThat(interpolation.path("required")).extracting(JsonNode::asText).containsExactlyInAnyOrder("from", "to");
        JsonNode endpoint = schema(interpolation.path("properties").path("from"));
        assertThat(properties(endpoint)).isEqualTo(new TreeSet<>(ManipulationRequestParser.ENDPOINT_FIELDS));
        assertThat(interpolation.path("properties").path("frames").path("minimum").asInt()).isEqualTo(2);
        assertThat(interpolation.path("properties").path("frames").path("maximum").asInt()).isEqualTo(16);
        assertThat(interpolation.path("properties").path("frames").path("default").asInt()).isEqualTo(ManipulationRequestParser.DEFAULT_FRAMES);

        JsonNode textDiff = requestSchema("POST", "/v1/images/text_diffs", "application/json");
        assertThat(properties(textDiff)).isEqualTo(new TreeSet<>(ManipulationRequestParser.TEXT_DIFF_FIELDS));
        assertThat(textDiff.path("required")).extracting(JsonNode::asText).containsExactlyInAnyOrder("from_text", "to_text");
        assertThat(textDiff.path("properties").path("max_theta").path("default").asDouble()).isEqualTo(ManipulationRequestParser.DEFAULT_MAX_THETA);
    }

    @Test
    void jobRequest_isOneOfTheThreeBodies_withTheirType() {
        JsonNode schema = requestSchema("POST", "/v1/jobs", "application/json");
        List<String> variants = new ArrayList<>();
        for (JsonNode variant : schema.path("oneOf")) {
            JsonNode resolved = schema(variant);
            List<String> parts = new ArrayList<>();
            for (JsonNode part : resolved.path("allOf")) {
                parts.add(part.path("$ref").asText().replace("#/components/schemas/", ""));
            }
            variants.add(String.join("+", parts));
        }
        assertThat(variants)
                .containsExactlyInAnyOrder(
                        "CreateImageRequest+JobOptions", "CreateImageInterpolationRequest+JobOptions", "CreateImageTextDiffRequest+JobOptions");
        JsonNode options = doc.path("components").path("schemas").path("JobOptions");
        assertThat(properties(options)).isEqualTo(new TreeSet<>(JobSubmitter.JOB_FIELDS));
        JsonNode type = options.path("properties").path("type");
        assertThat(type.path("enum")).extracting(JsonNode::asText).containsExactlyElementsOf(JobSubmitter.JOB_TYPES);
        assertThat(options.path("properties").path("previews").path("type").asText()).isEqualTo("boolean");
        assertThat(options.path("properties").path("previews").path("default").asBoolean()).isTrue();
    }

    // ------------------------------------------------------------------ responses

    @Test
    void imageEndpoints_answerTheOpenAiImagesShape_andOpenAiErrors() {
        for (String path : List.of("/v1/images/generations", "/v1/images/variations", "/v1/images/interpolations", "/v1/images/text_diffs")) {
            JsonNode images = responseSchema("POST", path, "200", "application/json");
            assertThat(properties(images)).as(path).containsExactlyInAnyOrder("created", "data");
            JsonNode image = schema(images.path("properties").path("data").path("items"));
            assertThat(properties(image)).as(path).containsExactlyInAnyOrder("b64_json", "url", "seed", "theta");
            for (String status : List.of("400", "429", "default")) {
                assertError(responseSchema("POST", path, status, "application/json"));
            }
        }
        assertError(responseSchema("POST", "/v1/images/edits", "400", "application/json"));
    }

    private void assertError(JsonNode schema) {
        assertThat(properties(schema)).containsExactly("error");
        JsonNode error = schema(schema.path("properties").path("error"));
        assertThat(properties(error)).containsExactlyInAnyOrder("message", "type", "param", "code");
        assertThat(error.path("required")).hasSize(4);
    }

    @Test
    void jobEndpoints_answerTheJob_eventsAsSse_resultsAsPng() {
        JsonNode job = responseSchema("POST", "/v1/jobs", "202", "application/json");
        assertThat(properties(job)).contains("id", "object", "state", "stage", "step", "total_steps", "queue_position", "seeds", "data", "error", "trace_id");
        assertThat(job.path("properties").path("state").path("enum"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("queued", "running", "succeeded", "failed", "cancelled");
        assertThat(properties(responseSchema("GET", "/v1/jobs/{job}", "200", "application/json"))).contains("id", "state");
        assertThat(properties(responseSchema("DELETE", "/v1/jobs/{job}", "200", "application/json"))).contains("id", "state");
        assertError(responseSchema("DELETE", "/v1/jobs/{job}", "409", "application/json"));
        assertError(responseSchema("GET", "/v1/jobs/{job}", "404", "application/json"));
        assertThat(operation("GET", "/v1/jobs/{job}/events").path("responses").path("200").path("content").has("text/event-stream")).isTrue();
        assertThat(operation("GET", "/v1/images/results/{job}/{index}.png").path("responses").path("200").path("content").has("image/png")).isTrue();
        List<String> headers = new ArrayList<>();
        operation("POST", "/v1/jobs").path("parameters").forEach(p -> headers.add(p.path("in").asText() + ":" + p.path("name").asText()));
        assertThat(headers).contains("header:Idempotency-Key", "header:x-request-id");
    }
}
