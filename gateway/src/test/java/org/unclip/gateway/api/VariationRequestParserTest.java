package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.errors.ApiException;

class VariationRequestParserTest {

    private final VariationRequestParser parser =
            new VariationRequestParser(List.of("256x256", "64x64"), 10, ResponseFormat.B64_JSON);

    private static byte[] png(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    private static VariationRequestParser.ImageSource source(byte[] bytes) {
        return new VariationRequestParser.ImageSource() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public byte[] bytes() {
                return bytes;
            }
        };
    }

    private ApiException rejected(byte[] image, Map<String, String> fields) {
        return catchThrowableOfType(ApiException.class, () -> parser.parse(image == null ? null : source(image), fields));
    }

    @Test
    void minimalRequest_getsOpenAiDefaults() throws IOException {
        byte[] image = png(20, 20);
        VariationRequest request = parser.parse(source(image), Map.of());

        assertThat(request.png()).isEqualTo(image);
        assertThat(request.side()).isEqualTo(20);
        assertThat(request.n()).isEqualTo(1);
        assertThat(request.size().label()).isEqualTo("256x256");
        assertThat(request.responseFormat()).isEqualTo(ResponseFormat.B64_JSON);
        assertThat(request.seed()).isEmpty();
        assertThat(request.decoderSteps()).isZero();
        assertThat(request.upsamplerSteps()).isZero();
        assertThat(request.decoderGuidanceScale()).isZero();
    }

    @Test
    void fullRequest_keepsEveryField() throws IOException {
        Map<String, String> fields = new HashMap<>();
        fields.put("n", "3");
        fields.put("size", "64x64");
        fields.put("response_format", "url");
        fields.put("model", "dall-e-2");
        fields.put("user", "someone");
        fields.put("seed", "-5");
        fields.put("decoder_steps", "12");
        fields.put("upsampler_steps", "4");
        fields.put("decoder_guidance_scale", "3.5");

        VariationRequest request = parser.parse(source(png(8, 8)), fields);

        assertThat(request.n()).isEqualTo(3);
        assertThat(request.size().pixels()).isEqualTo(64);
        assertThat(request.responseFormat()).isEqualTo(ResponseFormat.URL);
        assertThat(request.model()).isEqualTo("dall-e-2");
        assertThat(request.user()).isEqualTo("someone");
        assertThat(request.seed()).hasValue(-5);
        assertThat(request.decoderSteps()).isEqualTo(12);
        assertThat(request.upsamplerSteps()).isEqualTo(4);
        assertThat(request.decoderGuidanceScale()).isEqualTo(3.5f);
    }

    @Test
    void imageProblems_nameTheImage() throws IOException {
        assertThat(rejected(null, Map.of()).error().param()).isEqualTo("image");
        assertThat(rejected(null, Map.of()).error().code()).isEqualTo("missing_required_parameter");
        assertThat(rejected("GIF89a".getBytes(), Map.of()).error().code()).isEqualTo("invalid_image_format");
        assertThat(rejected(png(9, 10), Map.of()).error().code()).isEqualTo("invalid_image_dimensions");
        byte[] tooBig = java.util.Arrays.copyOf(png(8, 8), VariationRequestParser.MAX_IMAGE_BYTES + 1);
        ApiException big = rejected(tooBig, Map.of());
        assertThat(big.error().param()).isEqualTo("image");
        assertThat(big.error().code()).isEqualTo("image_too_large");
        assertThat(big.error().status()).isEqualTo(400);
    }

    @Test
    void aSmallPngClaimingAHugeImage_isRefusedFromItsHeader() throws IOException {
        byte[] png = png(8, 8);
        java.nio.ByteBuffer.wrap(png).putInt(16, 16000).putInt(20, 16000); // IHDR width, height

        ApiException e = rejected(png, Map.of());

        assertThat(e.error().status()).isEqualTo(400);
        assertThat(e.error().code()).isEqualTo("invalid_image_dimensions");
        assertThat(e.error().message()).contains("16000x16000").contains("at most " + VariationRequestParser.MAX_IMAGE_SIDE);
        assertThat(parser.parse(source(png(VariationRequestParser.MAX_IMAGE_SIDE, VariationRequestParser.MAX_IMAGE_SIDE)), Map.of()).side())
                .isEqualTo(VariationRequestParser.MAX_IMAGE_SIDE);
    }

    @Test
    void exactly4MB_isAccepted() throws IOException {
        byte[] limit = java.util.Arrays.copyOf(png(8, 8), VariationRequestParser.MAX_IMAGE_BYTES);
        assertThat(parser.parse(source(limit), Map.of()).side()).isEqualTo(8);
    }

    @Test
    void fieldProblems_nameTheField() throws IOException {
        byte[] image = png(8, 8);
        String[][] cases = {
            {"n", "0", "integer_below_min_value"},
            {"n", "11", "integer_above_max_value"},
            {"n", "1.5", "invalid_type"},
            {"size", "1024x1024", "invalid_value"},
            {"response_format", "png", "invalid_value"},
            {"seed", "99999999999999999999", "invalid_value"},
            {"upsampler_steps", "-2", "integer_below_min_value"},
            {"decoder_guidance_scale", "-1", "invalid_value"},
        };
        for (String[] c : cases) {
            ApiException e = rejected(image, Map.of(c[0], c[1]));
            assertThat(e).as(c[0] + "=" + c[1]).isNotNull();
            assertThat(e.error().param()).as(c[0] + "=" + c[1]).isEqualTo(c[0]);
            assertThat(e.error().code()).as(c[0] + "=" + c[1]).isEqualTo(c[2]);
        }
    }
}
