package org.unclip.gateway.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;

/**
 * Validates the form fields of {@code POST /v1/images/variations} (multipart/form-data, as OpenAI
 * takes it): {@code image} (a square PNG of at most 4 MB), {@code n}, {@code size},
 * {@code response_format}, {@code model}, {@code user} and the extensions {@code seed},
 * {@code decoder_steps}, {@code upsampler_steps}, {@code decoder_guidance_scale}. Every mistake
 * is a 400 naming the field in {@code param}.
 */
public final class VariationRequestParser {

    /**
     * Largest side of an input image, checked from the PNG header before anything decodes it (the
     * text encoder checks it again): a 250 KB file can claim 16000×16000 pixels.
     */
    static final int MAX_IMAGE_SIDE = 2048;

    /** Largest accepted input image, as OpenAI's limit for dall-e-2 variations. */
    public static final int MAX_IMAGE_BYTES = 4 * 1024 * 1024;

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final GenerationRequestParser sizes;
    private final Map<String, ImageSize> sizeByLabel;
    private final ImageSize defaultSize;
    private final int maxImages;
    private final ResponseFormat defaultResponseFormat;

    public VariationRequestParser(List<String> sizes, int maxImages, ResponseFormat defaultResponseFormat) {
        this.sizes = new GenerationRequestParser(sizes, 1, maxImages, defaultResponseFormat);
        java.util.LinkedHashMap<String, ImageSize> parsed = new java.util.LinkedHashMap<>();
        for (String label : this.sizes.sizes()) {
            ImageSize size = ImageSize.parse(label).orElseThrow();
            parsed.put(size.label(), size);
        }
        this.sizeByLabel = parsed;
        this.defaultSize = parsed.values().iterator().next();
        this.maxImages = maxImages;
        this.defaultResponseFormat = defaultResponseFormat;
    }

    /**
     * @param image the {@code image} file part (its size is checked before its bytes are read), or
     *     null when the form has none
     * @param fields the other form fields; absent ones are null or missing
     */
    public VariationRequest parse(ImageSource image, Map<String, String> fields) {
        if (image == null) {
            throw invalid(
                    "Missing required parameter: 'image'. Send a square PNG file as the multipart form field 'image'.",
                    "image",
                    "missing_required_parameter");
        }
        if (image.size() > MAX_IMAGE_BYTES) {
            throw invalid(
                    "Invalid 'image': the file is " + image.size() + " bytes; it must be less than 4 MB ("
                            + MAX_IMAGE_BYTES + " bytes).",
                    "image",
                    "image_too_large");
        }
        byte[] png = image.bytes();
        if (png.length > MAX_IMAGE_BYTES) {
            throw invalid("Invalid 'image': the file must be less than 4 MB.", "image", "image_too_large");
        }
        int[] dims = pngDimensions(png);
        if (dims == null) {
            throw invalid("Invalid 'image': uploaded image must be a PNG.", "image", "invalid_image_format");
        }
        if (dims[0] != dims[1]) {
            throw invalid(
                    "Invalid 'image': uploaded image must be square, but it is " + dims[0] + "x" + dims[1] + " pixels.",
                    "image",
                    "invalid_image_dimensions");
        }
        requireSideWithinLimit(dims, "image");
        int n = integer(fields, "n", 1, 1, maxImages);
        ImageSize size = size(fields.get("size"));
        ResponseFormat format = responseFormat(fields.get("response_format"));
        OptionalLong seed = seed(fields.get("seed"));
        int decoderSteps = integer(fields, "decoder_steps", 0, 0, GenerationRequestParser.MAX_STEPS);
        int upsamplerSteps = integer(fields, "upsampler_steps", 0, 0, GenerationRequestParser.MAX_STEPS);
        float guidance = guidance(fields, "decoder_guidance_scale");
        return new VariationRequest(
                png, dims[0], n, size, format, Models.check(fields.get("model")), fields.get("user"), seed, decoderSteps, upsamplerSteps, guidance);
    }

    /** The uploaded image: its size first, its bytes on demand. */
    public interface ImageSource {
        long size();

        byte[] bytes();
    }

    /** Refuses an input image whose header claims more than {@link #MAX_IMAGE_SIDE} pixels a side. */
    static void requireSideWithinLimit(int[] dims, String field) {
        if (dims[0] > MAX_IMAGE_SIDE || dims[1] > MAX_IMAGE_SIDE) {
            throw invalid(
                    "Invalid '" + field + "': the image is " + dims[0] + "x" + dims[1] + " pixels; at most " + MAX_IMAGE_SIDE
                            + " pixels a side are accepted.",
                    field,
                    "invalid_image_dimensions");
        }
    }

    /** Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. */
    static int[] pngDimensions(byte[] png) {
        if (png.length < 33 || !Arrays.equals(Arrays.copyOf(png, 8), PNG_SIGNATURE)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(png);
        if (b.getInt(8) != 13 || b.get(12) != 'I' || b.get(13) != 'H' || b.get(14) != 'D' || b.get(15) != 'R') {
            return null;
        }
        int width = b.getInt(16);
        int height = b.getInt(20);
        if (width <= 0 || height <= 0) {
            return null;
        }
        return new int[] {width, height};
    }

    private ImageSize size(String value) {
        if (absent(value)) {
            return defaultSize;
        }
        ImageSize size = sizeByLabel.get(value.strip());
        if (size == null) {
            throw invalid(
                    "Invalid 'size': '" + value + "' is not supported. Supported values are: "
                            + String.join(", ", sizes.sizes().stream().map(s -> "'" + s + "'").toList()) + ".",
                    "size",
                    "invalid_value");
        }
        return size;
    }

    private ResponseFormat responseFormat(String value) {
        if (absent(value)) {
            return defaultResponseFormat;
        }
        return ResponseFormat.fromWireName(value.strip())
                .orElseThrow(
                        () ->
                                invalid(
                                        "Invalid 'response_format': '" + value
                                                + "' is not supported. Supported values are: 'b64_json' and 'url'.",
                                        "response_format",
                                        "invalid_value"));
    }

    private static OptionalLong seed(String value) {
        if (absent(value)) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            throw invalid(
                    "Invalid 'seed': expected a 64-bit integer, but got '" + value + "' instead.", "seed", "invalid_value");
        }
    }

    private static int integer(Map<String, String> fields, String field, int defaultValue, int min, int max) {
        String value = fields.get(field);
        if (absent(value)) {
            return defaultValue;
        }
        BigInteger parsed;
        try {
            parsed = new BigInteger(value.strip());
        } catch (NumberFormatException e) {
            throw invalid(
                    "Invalid type for '" + field + "': expected an integer, but got '" + value + "' instead.", field, "invalid_type");
        }
        String hint = min == 0 && field.endsWith("_steps") ? " (0 means the model family's default)" : "";
        if (parsed.compareTo(BigInteger.valueOf(min)) < 0) {
            throw invalid(
                    "Invalid '" + field + "': integer below minimum value. Expected a value >= " + min + hint + ", but got "
                            + value + " instead.",
                    field,
                    "integer_below_min_value");
        }
        if (parsed.compareTo(BigInteger.valueOf(max)) > 0) {
            throw invalid(
                    "Invalid '" + field + "': integer above maximum value. Expected a value <= " + max + ", but got "
                            + value + " instead.",
                    field,
                    "integer_above_max_value");
        }
        return parsed.intValue();
    }

    private static float guidance(Map<String, String> fields, String field) {
        String value = fields.get(field);
        if (absent(value)) {
            return 0f;
        }
        double parsed;
        try {
            parsed = new BigDecimal(value.strip()).doubleValue();
        } catch (NumberFormatException e) {
            throw invalid(
                    "Invalid type for '" + field + "': expected a number, but got '" + value + "' instead.", field, "invalid_type");
        }
        if (!(parsed >= 0) || parsed > GenerationRequestParser.MAX_GUIDANCE) {
            throw invalid(
                    "Invalid '" + field + "': expected a number from 0 to " + (int) GenerationRequestParser.MAX_GUIDANCE
                            + " (0 means the model family's default), but got " + value
                            + " instead.",
                    field,
                    "invalid_value");
        }
        return (float) parsed;
    }

    private static boolean absent(String value) {
        return value == null || value.isBlank();
    }

    private static ApiException invalid(String message, String param, String code) {
        return new ApiException(ApiError.invalidRequest(message, param, code));
    }
}
