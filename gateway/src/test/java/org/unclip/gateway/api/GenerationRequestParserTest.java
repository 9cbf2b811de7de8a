package org.unclip.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.unclip.gateway.errors.ApiError;
import org.unclip.gateway.errors.ApiException;

class GenerationRequestParserTest {

    private final GenerationRequestParser parser =
            new GenerationRequestParser(List.of("256x256", "64x64"), 1000, 10, ResponseFormat.B64_JSON);

    private GenerationRequest parse(String json) {
        return parser.parse("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void minimalRequest_getsOpenAiDefaults() {
        GenerationRequest request = parse("{\"prompt\": \"  a red circle  \"}");

        assertThat(request.prompt()).isEqualTo("a red circle");
        assertThat(request.n()).isEqualTo(1);
        assertThat(request.size()).isEqualTo(new ImageSize("256x256", 256));
        assertThat(request.responseFormat()).isEqualTo(ResponseFormat.B64_JSON);
        assertThat(request.seed()).isEmpty();
        assertThat(request.priorSteps()).isZero();
        assertThat(request.decoderGuidanceScale()).isZero();
    }

    @Test
    void fullRequest_keepsEveryField() {
        GenerationRequest request =
                parse(
                        "{\"prompt\":\"a blue square\",\"n\":4,\"size\":\"64x64\",\"response_format\":\"url\","
                                + "\"model\":\"dall-e-2\",\"user\":\"u1\",\"quality\":\"standard\",\"stream\":false,"
                                + "\"seed\":-9223372036854775808,\"prior_steps\":25,\"decoder_steps\":50,"
                                + "\"upsampler_steps\":7,\"prior_guidance_scale\":4,\"decoder_guidance_scale\":2.5,"
                                + "\"preset\":\"quality\"}");

        assertThat(request.n()).isEqualTo(4);
        assertThat(request.size().pixels()).isEqualTo(64);
        assertThat(request.responseFormat()).isEqualTo(ResponseFormat.URL);
        assertThat(request.model()).isEqualTo("dall-e-2");
        assertThat(request.user()).isEqualTo("u1");
        assertThat(request.seed()).hasValue(Long.MIN_VALUE);
        assertThat(request.priorSteps()).isEqualTo(25);
        assertThat(request.decoderSteps()).isEqualTo(50);
        assertThat(request.upsamplerSteps()).isEqualTo(7);
        assertThat(request.priorGuidanceScale()).isEqualTo(4f);
        assertThat(request.decoderGuidanceScale()).isEqualTo(2.5f);
        assertThat(request.preset()).isEqualTo("quality");
    }

    @Test
    void explicitNulls_meanDefaults() {
        GenerationRequest request =
                parse("{\"prompt\":\"x\",\"n\":null,\"size\":null,\"response_format\":null,\"seed\":null,\"model\":null}");

        assertThat(request.n()).isEqualTo(1);
        assertThat(request.size().label()).isEqualTo("256x256");
        assertThat(request.seed()).isEmpty();
    }

    @Test
    void unknownModel_isOpenAisModelNotFound() {
        assertThatThrownBy(() -> parse("{\"prompt\":\"x\",\"model\":\"dall-e-9\"}"))
                .isInstanceOfSatisfying(
                        org.unclip.gateway.errors.ApiException.class,
                        e -> {
                            assertThat(e.error().status()).isEqualTo(404);
                            assertThat(e.error().code()).isEqualTo("model_not_found");
                            assertThat(e.error().param()).isEqualTo("model");
                            assertThat(e.error().message()).contains("dall-e-9");
                        });
        assertThat(parse("{\"prompt\":\"x\",\"model\":\"unclip\"}").model()).isEqualTo("unclip");
    }

    @Test
    void promptAtTheLimit_isAccepted_countingCharactersNotBytes() {
        String prompt = "é".repeat(1000);

        assertThat(parse("{\"prompt\":\"" + prompt + "\"}").prompt()).hasSize(1000);
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of("{}", "prompt", "Missing required parameter: 'prompt'."),
                Arguments.of("{\"prompt\":null}", "prompt", "Missing required parameter: 'prompt'."),
                Arguments.of("{\"prompt\":\"   \"}", "prompt", "the prompt is empty"),
                Arguments.of("{\"prompt\":42}", "prompt", "Invalid type for 'prompt': expected a string, but got an integer instead."),
                Arguments.of("{\"prompt\":\"" + "a".repeat(1001) + "\"}", "prompt", "Expected a string with maximum length 1000, but got a string with length 1001 instead."),
                Arguments.of("{\"prompt\":\"x\",\"n\":0}", "n", "Expected a value >= 1, but got 0 instead."),
                Arguments.of("{\"prompt\":\"x\",\"n\":11}", "n", "Expected a value <= 10, but got 11 instead."),
                Arguments.of("{\"prompt\":\"x\",\"n\":99999999999999999999}", "n", "Expected a value <= 10"),
                Arguments.of("{\"prompt\":\"x\",\"n\":1.5}", "n", "Invalid type for 'n': expected an integer, but got a decimal number instead."),
                Arguments.of("{\"prompt\":\"x\",\"n\":2.0}", "n", "expected an integer, but got a decimal number"),
                Arguments.of("{\"prompt\":\"x\",\"n\":\"2\"}", "n", "expected an integer, but got a string"),
                Arguments.of("{\"prompt\":\"x\",\"size\":\"512x512\"}", "size", "Invalid 'size': '512x512' is not supported. Supported values are: '256x256' and '64x64'."),
                Arguments.of("{\"prompt\":\"x\",\"size\":256}", "size", "Invalid type for 'size'"),
                Arguments.of("{\"prompt\":\"x\",\"response_format\":\"png\"}", "response_format", "Supported values are: 'b64_json' and 'url'."),
                Arguments.of("{\"prompt\":\"x\",\"model\":7}", "model", "Invalid type for 'model'"),
                Arguments.of("{\"prompt\":\"x\",\"user\":[]}", "user", "expected a string, but got an array"),
                Arguments.of("{\"prompt\":\"x\",\"stream\":true}", "stream", "streaming is not supported"),
                Arguments.of("{\"prompt\":\"x\",\"seed\":\"7\"}", "seed", "Invalid type for 'seed': expected an integer"),
                Arguments.of("{\"prompt\":\"x\",\"seed\":1e3}", "seed", "expected an integer, but got a decimal number"),
                Arguments.of("{\"prompt\":\"x\",\"seed\":18446744073709551616}", "seed", "expected a 64-bit integer"),
                Arguments.of("{\"prompt\":\"x\",\"prior_steps\":-1}", "prior_steps", "Expected a value >= 0 (0 means the model family's default)"),
                Arguments.of("{\"prompt\":\"x\",\"decoder_steps\":3000000000}", "decoder_steps", "integer above maximum value"),
                Arguments.of("{\"prompt\":\"x\",\"upsampler_steps\":true}", "upsampler_steps", "expected an integer, but got a boolean"),
                Arguments.of("{\"prompt\":\"x\",\"prior_guidance_scale\":-0.5}", "prior_guidance_scale", "expected a number from 0 to 100"),
                Arguments.of("{\"prompt\":\"x\",\"decoder_guidance_scale\":100.5}", "decoder_guidance_scale", "expected a number from 0 to 100"),
                Arguments.of("{\"prompt\":\"x\",\"prior_steps\":1001}", "prior_steps", "Expected a value <= 1000, but got 1001 instead."),
                Arguments.of("{\"prompt\":\"x\",\"decoder_guidance_scale\":\"high\"}", "decoder_guidance_scale", "expected a number, but got a string"),
                Arguments.of("{\"prompt\":\"x\",\"preset\":\"turbo\"}", "preset", "Invalid 'preset': 'turbo' is not supported"),
                Arguments.of("{\"prompt\":\"x\",\"preset\":2}", "preset", "expected a string"),
                Arguments.of("{\"prompt\":\"x\",\"seeds\":[1]}", "seeds", "Unrecognized request argument supplied: seeds"),
                Arguments.of("[{\"prompt\":\"x\"}]", null, "must be a JSON object, but got an array instead"),
                Arguments.of("\"a red circle\"", null, "must be a JSON object, but got a string instead"),
                Arguments.of("{\"prompt\":", null, "We could not parse the JSON body of your request"),
                Arguments.of("{\"prompt\":\"x\"} trailing", null, "We could not parse the JSON body of your request"),
                Arguments.of("{\"prompt\":\"x\",\"prompt\":\"y\"}", null, "Duplicate field 'prompt'"),
                Arguments.of("", null, "The request body is empty"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badRequests")
    void badRequest_namesTheFieldAndWhatWasExpected(String body, String param, String message) {
        assertThatThrownBy(() -> parse(body))
                .isInstanceOfSatisfying(
                        ApiException.class,
                        e -> {
                            ApiError error = e.error();
                            assertThat(error.status()).isEqualTo(400);
                            assertThat(error.type()).isEqualTo("invalid_request_error");
                            assertThat(error.param()).isEqualTo(param);
                            assertThat(error.message()).contains(message);
                        });
    }

    @Test
    void nonJsonContentType_isRejected() {
        assertThatThrownBy(() -> parser.parse("text/plain", "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(
                        ApiException.class,
                        e -> {
                            assertThat(e.error().status()).isEqualTo(400);
                            assertThat(e.error().code()).isEqualTo("unsupported_content_type");
                            assertThat(e.error().message()).contains("'text/plain'").contains("application/json");
                        });
    }

    @Test
    void jsonContentTypes_withParametersOrSuffix_andAbsentContentType_areAccepted() {
        byte[] body = "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8);

        assertThat(parser.parse("application/json; charset=utf-8", body).prompt()).isEqualTo("x");
        assertThat(parser.parse("Application/JSON", body).prompt()).isEqualTo("x");
        assertThat(parser.parse("application/vnd.api+json", body).prompt()).isEqualTo("x");
        assertThat(parser.parse(null, body).prompt()).isEqualTo("x");
    }

    @Test
    void configuration_isChecked() {
        assertThatThrownBy(() -> new GenerationRequestParser(List.of("256x128"), 1000, 10, ResponseFormat.URL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256x128");
        assertThatThrownBy(() -> new GenerationRequestParser(List.of(), 1000, 10, ResponseFormat.URL))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
