package org.unclip.gateway.api;

import static org.unclip.gateway.api.GenerationRequestParser.absent;
import static org.unclip.gateway.api.GenerationRequestParser.invalid;
import static org.unclip.gateway.api.GenerationRequestParser.wrongType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.unclip.gateway.embeddings.EmbeddingMath;
import org.unclip.gateway.jobs.Manipulation;

/**
 * Validates the JSON bodies of {@code POST /v1/images/interpolations} and {@code POST
 * /v1/images/text_diffs}. Every mistake is a 400 naming the field in {@code param} (nested fields
 * as {@code from.prompt}); unknown fields are rejected, as for generations.
 *
 * <p>Images travel as base64 PNG strings (a {@code data:image/png;base64,} prefix is allowed) with
 * the rules of variations: PNG, square, at most 4 MB decoded.
 */
public final class ManipulationRequestParser {

    /** Frames when a request names none. */
    public static final int DEFAULT_FRAMES = 5;
    /** Largest θ of a text diff when a request names none (the paper shows 0 to 0.5). */
    public static final double DEFAULT_MAX_THETA = 0.5;

    /** Fields both bodies accept besides their own. */
    static final Set<String> COMMON_FIELDS =
            Set.of(
                    "frames",
                    "seed",
                    "size",
                    "response_format",
                    "model",
                    "user",
                    "prior_steps",
                    "decoder_steps",
                    "upsampler_steps",
                    "prior_guidance_scale",
                    "decoder_guidance_scale",
                    "preset");
    /** The fields of an interpolation body. */
    public static final Set<String> INTERPOLATION_FIELDS = union(COMMON_FIELDS, Set.of("from", "to"));
    /** The fields of a text-diff body. */
    public static final Set<String> TEXT_DIFF_FIELDS =
            union(COMMON_FIELDS, Set.of("prompt", "image", "from_text", "to_text", "max_theta"));
    /** The fields of an endpoint object ({@code from}, {@code to}). */
    public static final Set<String> ENDPOINT_FIELDS = Set.of("prompt", "image");

    private static final Pattern DATA_URL = Pattern.compile("^data:image/png;base64,", Pattern.CASE_INSENSITIVE);
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private final GenerationRequestParser common;
    private final int maxFrames;

    /**
     * @param common the generation parser, for sizes, prompts and the shared fields
     * @param maxFrames largest {@code frames}
     */
    public ManipulationRequestParser(GenerationRequestParser common, int maxFrames) {
        if (maxFrames < 2) {
            throw new IllegalArgumentException("maxFrames must be >= 2, got " + maxFrames);
        }
        this.common = common;
        this.maxFrames = maxFrames;
    }

    public int maxFrames() {
        return maxFrames;
    }

    /** An interpolation body: {@code from} and {@code to}, each {@code {"prompt"}} or {@code {"image"}}. */
    public ManipulationRequest parseInterpolation(JsonNode root) {
        ObjectNode body = GenerationRequestParser.object(root, null, INTERPOLATION_FIELDS);
        List<byte[]> images = new ArrayList<>();
        Manipulation.Endpoint from = endpoint(body.get("from"), "from", images);
        Manipulation.Endpoint to = endpoint(body.get("to"), "to", images);
        int frames = frames(body);
        return request(body, new Manipulation.Interpolation(from, to, EmbeddingMath.thetas(frames, 1.0)), images);
    }

    /**
     * A text-diff body: the start ({@code prompt} or {@code image}), {@code from_text}, {@code
     * to_text}, {@code max_theta}.
     */
    public ManipulationRequest parseTextDiff(JsonNode root) {
        ObjectNode body = GenerationRequestParser.object(root, null, TEXT_DIFF_FIELDS);
        List<byte[]> images = new ArrayList<>();
        Manipulation.Endpoint start = oneOf(body, null, images);
        String fromText = caption(body, "from_text");
        String toText = caption(body, "to_text");
        if (fromText.equals(toText)) {
            throw invalid(
                    "Invalid 'to_text': it is the same as 'from_text', so there is no direction to move in. "
                            + "Describe the start in 'from_text' and the target in 'to_text'.",
                    "to_text",
                    "invalid_value");
        }
        double maxTheta = maxTheta(body.get("max_theta"));
        int frames = frames(body);
        return request(
                body, new Manipulation.TextDiff(start, fromText, toText, EmbeddingMath.thetas(frames, maxTheta)), images);
    }

    private ManipulationRequest request(ObjectNode body, Manipulation manipulation, List<byte[]> images) {
        return new ManipulationRequest(
                manipulation,
                images,
                common.size(body.get("size")),
                common.responseFormat(body.get("response_format")),
                Models.check(GenerationRequestParser.optionalString(body, "model")),
                GenerationRequestParser.optionalString(body, "user"),
                GenerationRequestParser.seed(body.get("seed")),
                GenerationRequestParser.steps(body, "prior_steps"),
                GenerationRequestParser.steps(body, "decoder_steps"),
                GenerationRequestParser.steps(body, "upsampler_steps"),
                GenerationRequestParser.guidance(body, "prior_guidance_scale"),
                GenerationRequestParser.guidance(body, "decoder_guidance_scale"),
                GenerationRequestParser.preset(body.get("preset")));
    }

    private int frames(ObjectNode body) {
        return GenerationRequestParser.integer(body, "frames", DEFAULT_FRAMES, 2, maxFrames);
    }

    private Manipulation.Endpoint endpoint(JsonNode node, String field, List<byte[]> images) {
        if (absent(node)) {
            throw invalid(
                    "Missing required parameter: '" + field + "'. Send an object with either a 'prompt' or an 'image' "
                            + "(base64 PNG), e.g. {\"" + field + "\": {\"prompt\": \"a red circle\"}}.",
                    field,
                    "missing_required_parameter");
        }
        return oneOf(GenerationRequestParser.object(node, field, ENDPOINT_FIELDS), field, images);
    }

    /** Exactly one of {@code prompt} and {@code image} in {@code object}; an image is added to {@code images}. */
    private Manipulation.Endpoint oneOf(ObjectNode object, String field, List<byte[]> images) {
        String prefix = field == null ? "" : field + ".";
        boolean hasPrompt = !absent(object.get("prompt"));
        boolean hasImage = !absent(object.get("image"));
        if (hasPrompt == hasImage) {
            String where = field == null ? "The request" : "'" + field + "'";
            throw invalid(
                    where + " must have exactly one of '" + prefix + "prompt' and '" + prefix + "image' (a base64 PNG), "
                            + (hasPrompt ? "not both." : "but has neither."),
                    field == null ? "prompt" : field,
                    hasPrompt ? "invalid_value" : "missing_required_parameter");
        }
        if (hasPrompt) {
            return Manipulation.Endpoint.ofPrompt(common.prompt(object.get("prompt"), prefix + "prompt"));
        }
        images.add(png(object.get("image"), prefix + "image"));
        return Manipulation.Endpoint.ofImage(images.size() - 1);
    }

    /** A caption of a text diff: a string (may be empty, the empty caption) of at most the prompt length. */
    private String caption(ObjectNode body, String field) {
        JsonNode node = body.get(field);
        if (absent(node)) {
            throw invalid("Missing required parameter: '" + field + "'.", field, "missing_required_parameter");
        }
        if (!node.isTextual()) {
            throw wrongType(field, "a string", node);
        }
        String text = node.textValue().strip();
        int length = text.codePointCount(0, text.length());
        if (length > common.maxPromptLength()) {
            throw invalid(
                    "Invalid '" + field + "': string too long. Expected a string with maximum length "
                            + common.maxPromptLength() + ", but got a string with length " + length + " instead.",
                    field,
                    "string_above_max_length");
        }
        return text;
    }

    private static double maxTheta(JsonNode node) {
        if (absent(node)) {
            return DEFAULT_MAX_THETA;
        }
        if (!node.isNumber()) {
            throw wrongType("max_theta", "a number", node);
        }
        double value = node.doubleValue();
        if (!(value > 0) || value > 1) {
            throw invalid(
                    "Invalid 'max_theta': expected a number in (0, 1] (0.5 by default: half way from the image "
                            + "towards the text diff), but got " + node.asText() + " instead.",
                    "max_theta",
                    "invalid_value");
        }
        return value;
    }

    /** A base64 PNG, checked like the image of a variation. */
    static byte[] png(JsonNode node, String field) {
        if (!node.isTextual()) {
            throw wrongType(field, "a string (a base64 PNG)", node);
        }
        String text = DATA_URL.matcher(node.textValue().strip()).replaceFirst("");
        text = WHITESPACE.matcher(text).replaceAll("");
        // 4 MB of bytes are at most 4/3 as many base64 characters (plus padding).
        if ((long) text.length() > (VariationRequestParser.MAX_IMAGE_BYTES + 2L) / 3 * 4 + 4) {
            throw invalid(
                    "Invalid '" + field + "': the image must be less than 4 MB (" + VariationRequestParser.MAX_IMAGE_BYTES
                            + " bytes) before base64 encoding.",
                    field,
                    "image_too_large");
        }
        byte[] png;
        try {
            png = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw invalid(
                    "Invalid '" + field + "': expected a base64-encoded PNG (" + e.getMessage() + ").",
                    field,
                    "invalid_base64");
        }
        if (png.length > VariationRequestParser.MAX_IMAGE_BYTES) {
            throw invalid("Invalid '" + field + "': the image must be less than 4 MB.", field, "image_too_large");
        }
        int[] dims = VariationRequestParser.pngDimensions(png);
        if (dims == null) {
            throw invalid("Invalid '" + field + "': the image must be a PNG.", field, "invalid_image_format");
        }
        if (dims[0] != dims[1]) {
            throw invalid(
                    "Invalid '" + field + "': the image must be square, but it is " + dims[0] + "x" + dims[1] + " pixels.",
                    field,
                    "invalid_image_dimensions");
        }
        VariationRequestParser.requireSideWithinLimit(dims, field);
        return png;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
