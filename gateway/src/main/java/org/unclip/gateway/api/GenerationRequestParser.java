package org.unclip.gateway.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;

/**
 * Turns the raw body of {@code POST /v1/images/generations} into a {@link GenerationRequest}, or
 * an {@link ApiException} whose message names the field at fault and what was expected.
 *
 * <p>Parsing is done by hand from a JSON tree rather than by data binding, so that every mistake
 * gets a precise message (Jackson would silently turn {@code "n": 1.5} into 1). Messages follow the
 * wording of the OpenAI API where it has one. Unknown fields are rejected, as OpenAI does, so a
 * typo such as {@code "seeds"} is not silently ignored.
 */
public final class GenerationRequestParser {

    /** OpenAI string fields of the images API that are accepted and ignored (type-checked only). */
    /** Step presets every family defines (family.json {@code steps.fast} / {@code steps.quality}). */
    static final List<String> PRESETS = List.of("fast", "quality");

    private static final List<String> IGNORED_STRING_FIELDS = List.of("quality", "style");

    /** The fields of a generation body. */
    static final Set<String> KNOWN_FIELDS =
            Set.of(
                    "prompt",
                    "n",
                    "size",
                    "response_format",
                    "model",
                    "user",
                    "quality",
                    "style",
                    "stream",
                    "seed",
                    "prior_steps",
                    "decoder_steps",
                    "upsampler_steps",
                    "prior_guidance_scale",
                    "decoder_guidance_scale",
                    "preset");

    private static final ObjectMapper JSON =
            new ObjectMapper()
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Map<String, ImageSize> sizes;
    private final List<String> sizeList;
    private final ImageSize defaultSize;
    private final int maxPromptLength;
    private final int maxImages;
    private final ResponseFormat defaultResponseFormat;

    /**
     * @param sizes allowed sizes ({@code "WxW"}); the first one is the default
     * @param maxPromptLength longest prompt, in characters (code points)
     * @param maxImages largest {@code n}
     * @param defaultResponseFormat used when a request names none
     */
    public GenerationRequestParser(
            List<String> sizes, int maxPromptLength, int maxImages, ResponseFormat defaultResponseFormat) {
        if (sizes.isEmpty()) {
            throw new IllegalArgumentException("at least one size must be allowed");
        }
        Map<String, ImageSize> parsed = new LinkedHashMap<>();
        for (String label : sizes) {
            ImageSize size =
                    ImageSize.parse(label)
                            .orElseThrow(
                                    () -> new IllegalArgumentException("sizes must look like 256x256, got '" + label + "'"));
            parsed.put(size.label(), size);
        }
        if (maxPromptLength < 1 || maxImages < 1) {
            throw new IllegalArgumentException("maxPromptLength and maxImages must be >= 1");
        }
        this.sizes = Map.copyOf(parsed);
        this.defaultSize = parsed.values().iterator().next();
        this.maxPromptLength = maxPromptLength;
        this.maxImages = maxImages;
        this.defaultResponseFormat = Objects.requireNonNull(defaultResponseFormat);
        this.sizeList = List.copyOf(parsed.keySet());
    }

    /** Longest prompt, in characters (code points). */
    int maxPromptLength() {
        return maxPromptLength;
    }

    /** Allowed sizes in configuration order. */
    public List<String> sizes() {
        return sizeList;
    }

    /**
     * Checks the content type, parses the body and validates it.
     *
     * @param contentType the request's Content-Type header, or null when absent (then JSON is assumed)
     * @param body the raw body, possibly empty
     */
    public GenerationRequest parse(String contentType, byte[] body) {
        return parse(readJson(contentType, body));
    }

    /**
     * Checks the content type and parses the body as JSON (any JSON value; {@link #parse(JsonNode)}
     * and the other parsers check that it is an object).
     */
    static JsonNode readJson(String contentType, byte[] body) {
        if (contentType != null && !isJson(contentType)) {
            throw invalid(
                    "Unsupported Content-Type '"
                            + contentType
                            + "': send the request body as JSON with 'Content-Type: application/json'.",
                    null,
                    "unsupported_content_type");
        }
        if (body == null || new String(body, StandardCharsets.UTF_8).isBlank()) {
            throw invalid(
                    "The request body is empty: send a JSON object such as {\"prompt\": \"a red circle\"}.",
                    null,
                    "missing_body");
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw invalid("We could not parse the JSON body of your request: " + describe(e), null, "invalid_json");
        } catch (IOException e) {
            throw invalid("We could not read the body of your request: " + e.getMessage(), null, "invalid_json");
        }
    }

    /** Validates an already parsed body. */
    public GenerationRequest parse(JsonNode root) {
        ObjectNode body = object(root, null, KNOWN_FIELDS);

        String prompt = prompt(body.get("prompt"), "prompt");
        int n = integer(body, "n", 1, 1, maxImages);
        ImageSize size = size(body.get("size"));
        ResponseFormat format = responseFormat(body.get("response_format"));
        String model = Models.check(optionalString(body, "model"));
        String user = optionalString(body, "user");
        for (String field : IGNORED_STRING_FIELDS) {
            optionalString(body, field);
        }
        stream(body.get("stream"));
        OptionalLong seed = seed(body.get("seed"));
        int priorSteps = steps(body, "prior_steps");
        int decoderSteps = steps(body, "decoder_steps");
        int upsamplerSteps = steps(body, "upsampler_steps");
        float priorGuidance = guidance(body, "prior_guidance_scale");
        float decoderGuidance = guidance(body, "decoder_guidance_scale");
        String preset = preset(body.get("preset"));
        return new GenerationRequest(
                prompt,
                n,
                size,
                format,
                model,
                user,
                seed,
                priorSteps,
                decoderSteps,
                upsamplerSteps,
                priorGuidance,
                decoderGuidance,
                preset);
    }

    /**
     * {@code node} as an object whose fields are all in {@code known}.
     *
     * @param field the object's name in messages and {@code param} (e.g. {@code "from"}), null for
     *     the body itself
     */
    static ObjectNode object(JsonNode node, String field, Set<String> known) {
        if (node == null || !node.isObject()) {
            if (field != null) {
                throw wrongType(field, "an object", node);
            }
            throw invalid(
                    "The request body must be a JSON object, but got " + typeName(node) + " instead.",
                    null,
                    "invalid_type");
        }
        ObjectNode body = (ObjectNode) node;
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String path = field == null ? name : field + "." + name;
                throw invalid("Unrecognized request argument supplied: " + path, path, "unknown_parameter");
            }
        }
        return body;
    }

    /** The step preset a request names ({@code fast} or {@code quality}); null for the family's default. */
    static String preset(JsonNode node) {
        if (absent(node)) {
            return null;
        }
        if (!node.isTextual()) {
            throw wrongType("preset", "a string", node);
        }
        if (!PRESETS.contains(node.textValue())) {
            throw invalid("Invalid 'preset': '" + node.textValue() + "' is not supported. Supported values are: "
                    + quoted(PRESETS) + ".", "preset", "invalid_value");
        }
        return node.textValue();
    }

    String prompt(JsonNode node, String field) {
        if (absent(node)) {
            throw invalid("Missing required parameter: '" + field + "'.", field, "missing_required_parameter");
        }
        if (!node.isTextual()) {
            throw wrongType(field, "a string", node);
        }
        String prompt = node.textValue().strip();
        if (prompt.isEmpty()) {
            throw invalid(
                    "Invalid '" + field + "': the prompt is empty. Describe the image to generate, e.g. \"a red circle on a white background\".",
                    field,
                    "empty_string");
        }
        int length = node.textValue().codePointCount(0, node.textValue().length());
        if (length > maxPromptLength) {
            throw invalid(
                    "Invalid '" + field + "': string too long. Expected a string with maximum length "
                            + maxPromptLength
                            + ", but got a string with length "
                            + length
                            + " instead.",
                    field,
                    "string_above_max_length");
        }
        return prompt;
    }

    ImageSize size(JsonNode node) {
        if (absent(node)) {
            return defaultSize;
        }
        if (!node.isTextual()) {
            throw wrongType("size", "a string", node);
        }
        ImageSize size = sizes.get(node.textValue());
        if (size == null) {
            throw invalid(
                    "Invalid 'size': '" + node.textValue() + "' is not supported. Supported values are: " + quoted(sizeList) + ".",
                    "size",
                    "invalid_value");
        }
        return size;
    }

    ResponseFormat responseFormat(JsonNode node) {
        if (absent(node)) {
            return defaultResponseFormat;
        }
        if (!node.isTextual()) {
            throw wrongType("response_format", "a string", node);
        }
        return ResponseFormat.fromWireName(node.textValue())
                .orElseThrow(
                        () ->
                                invalid(
                                        "Invalid 'response_format': '"
                                                + node.textValue()
                                                + "' is not supported. Supported values are: 'b64_json' and 'url'.",
                                        "response_format",
                                        "invalid_value"));
    }

    static void stream(JsonNode node) {
        if (absent(node)) {
            return;
        }
        if (!node.isBoolean()) {
            throw wrongType("stream", "a boolean", node);
        }
        if (node.booleanValue()) {
            throw invalid(
                    "Invalid 'stream': streaming is not supported yet; omit it or set it to false.",
                    "stream",
                    "unsupported_value");
        }
    }

    static OptionalLong seed(JsonNode node) {
        if (absent(node)) {
            return OptionalLong.empty();
        }
        if (!node.isIntegralNumber()) {
            throw wrongType("seed", "an integer", node);
        }
        if (!node.canConvertToLong()) {
            throw invalid(
                    "Invalid 'seed': expected a 64-bit integer between "
                            + Long.MIN_VALUE
                            + " and "
                            + Long.MAX_VALUE
                            + ", but got "
                            + node.asText()
                            + " instead.",
                    "seed",
                    "invalid_value");
        }
        return OptionalLong.of(node.longValue());
    }

    /** Most denoising steps a request may ask of one stage: the 1000 training timesteps of a schedule. */
    static final int MAX_STEPS = 1000;

    /** Largest guidance scale a request may give (the shipped family uses 2 to 4). */
    static final double MAX_GUIDANCE = 100;

    static int steps(ObjectNode body, String field) {
        return integer(body, field, 0, 0, MAX_STEPS);
    }

    static int integer(ObjectNode body, String field, int defaultValue, int min, int max) {
        JsonNode node = body.get(field);
        if (absent(node)) {
            return defaultValue;
        }
        if (!node.isIntegralNumber()) {
            throw wrongType(field, "an integer", node);
        }
        String hint = min == 0 && field.endsWith("_steps") ? " (0 means the model family's default)" : "";
        if (node.bigIntegerValue().compareTo(BigInteger.valueOf(min)) < 0) {
            throw invalid(
                    "Invalid '" + field + "': integer below minimum value. Expected a value >= " + min + hint
                            + ", but got " + node.asText() + " instead.",
                    field,
                    "integer_below_min_value");
        }
        if (node.bigIntegerValue().compareTo(BigInteger.valueOf(max)) > 0) {
            throw invalid(
                    "Invalid '" + field + "': integer above maximum value. Expected a value <= " + max
                            + ", but got " + node.asText() + " instead.",
                    field,
                    "integer_above_max_value");
        }
        return node.intValue();
    }

    static float guidance(ObjectNode body, String field) {
        JsonNode node = body.get(field);
        if (absent(node)) {
            return 0f;
        }
        if (!node.isNumber()) {
            throw wrongType(field, "a number", node);
        }
        double value = node.doubleValue();
        if (!(value >= 0) || value > MAX_GUIDANCE) {
            throw invalid(
                    "Invalid '" + field + "': expected a number from 0 to " + (int) MAX_GUIDANCE
                            + " (0 means the model family's default), but got "
                            + node.asText() + " instead.",
                    field,
                    "invalid_value");
        }
        return (float) value;
    }

    static String optionalString(ObjectNode body, String field) {
        JsonNode node = body.get(field);
        if (absent(node)) {
            return null;
        }
        if (!node.isTextual()) {
            throw wrongType(field, "a string", node);
        }
        return node.textValue();
    }

    static boolean absent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }

    private static boolean isJson(String contentType) {
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json") || (mediaType.startsWith("application/") && mediaType.endsWith("+json"));
    }

    static ApiException wrongType(String field, String expected, JsonNode node) {
        return invalid(
                "Invalid type for '" + field + "': expected " + expected + ", but got " + typeName(node) + " instead.",
                field,
                "invalid_type");
    }

    static ApiException invalid(String message, String param, String code) {
        return new ApiException(ApiError.invalidRequest(message, param, code));
    }

    static String typeName(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isIntegralNumber()) {
            return "an integer";
        }
        if (node.isNumber()) {
            return "a decimal number";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isObject()) {
            return "an object";
        }
        return "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    static String quoted(List<String> values) {
        List<String> quoted = new ArrayList<>();
        for (String v : values) {
            quoted.add("'" + v + "'");
        }
        if (quoted.size() == 1) {
            return quoted.get(0);
        }
        return quoted.subList(0, quoted.size() - 1).stream().collect(Collectors.joining(", "))
                + " and "
                + quoted.get(quoted.size() - 1);
    }

    /** Jackson's own description of a parse error, without the source dump it appends. */
    static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        if (message == null) {
            message = "malformed JSON";
        }
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        JsonLocation where = e.getLocation();
        if (where != null && where.getLineNr() > 0) {
            message += " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
        }
        return message;
    }
}
