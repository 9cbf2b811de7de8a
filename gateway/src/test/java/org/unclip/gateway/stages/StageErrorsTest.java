package org.unclip.gateway.stages;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;
import org.unclip.gateway.errors.ApiError;

class StageErrorsTest {

    private static ApiError map(String stage, Status status, int attempts) {
        return StageErrors.toApiError(new StageException(stage, status, attempts, null));
    }

    @Test
    void invalidArgument_isAClientMistake_withTheStagesDescription() {
        ApiError error = map("prior", Status.INVALID_ARGUMENT.withDescription("steps must be in [2, 200], got 500"), 1);

        assertThat(error.status()).isEqualTo(400);
        assertThat(error.type()).isEqualTo("invalid_request_error");
        assertThat(error.message()).contains("prior").contains("steps must be in [2, 200], got 500");
        assertThat(error.param()).isEqualTo("prior_steps");
    }

    @Test
    void paramGuesses_followTheStageAndTheWording() {
        assertThat(StageErrors.guessParam("text-encoder", "unknown words")).isEqualTo("prompt");
        assertThat(StageErrors.guessParam("prior", "guidance_scale must be <= 20")).isEqualTo("prior_guidance_scale");
        assertThat(StageErrors.guessParam("decoder", "upsampler steps must be <= 100")).isEqualTo("upsampler_steps");
        assertThat(StageErrors.guessParam("decoder", "decoder steps must be >= 2")).isEqualTo("decoder_steps");
        assertThat(StageErrors.guessParam("decoder", "size 128 is not one of [64, 256]")).isEqualTo("size");
        assertThat(StageErrors.guessParam("decoder", "image_embeds has the wrong shape")).isNull();
    }

    @Test
    void unavailable_is503_withAFixedMessage_notTheTransportError() {
        Status refused =
                Status.UNAVAILABLE.withDescription("io exception").withCause(new ConnectException("Connection refused: /127.0.0.1:9101"));

        ApiError error = map("text-encoder", refused, 3);

        assertThat(error.status()).isEqualTo(503);
        assertThat(error.type()).isEqualTo("server_error");
        assertThat(error.code()).isEqualTo("stage_unavailable");
        assertThat(error.param()).isNull();
        assertThat(error.message()).isEqualTo("The text-encoder stage is unavailable; try again shortly.");
    }

    @Test
    void serverSideFailures_mapToGatewayStatuses_withStableCodes_andNothingOfTheStagesDescription() {
        String secret = "java.lang.IllegalStateException: session /models/decoder.onnx at 10.1.2.3:9103";
        Object[][] cases = {
            {Status.UNAVAILABLE, 503, "stage_unavailable"},
            {Status.RESOURCE_EXHAUSTED, 503, "stage_overloaded"},
            {Status.CANCELLED, 503, "stage_cancelled"},
            {Status.ABORTED, 503, "stage_cancelled"},
            {Status.DEADLINE_EXCEEDED, 504, "stage_timeout"},
            {Status.INTERNAL, 502, "stage_error"},
            {Status.UNKNOWN, 502, "stage_error"},
            {Status.UNIMPLEMENTED, 502, "stage_error"},
            {Status.DATA_LOSS, 502, "stage_error"},
            {Status.UNAUTHENTICATED, 502, "stage_error"},
            {Status.PERMISSION_DENIED, 502, "stage_error"},
            {Status.NOT_FOUND, 502, "stage_error"},
        };
        for (Object[] c : cases) {
            Status status = ((Status) c[0]).withDescription(secret).withCause(new IllegalStateException("inner " + secret));

            ApiError error = map("decoder", status, 2);

            assertThat(error.status()).as("%s", c[0]).isEqualTo(c[1]);
            assertThat(error.type()).as("%s", c[0]).isEqualTo("server_error");
            assertThat(error.code()).as("%s", c[0]).isEqualTo(c[2]);
            assertThat(error.message()).as("%s", c[0]).startsWith("The decoder stage ")
                    .doesNotContain("10.1.2.3").doesNotContain("onnx").doesNotContain("Exception").doesNotContain("inner");
            // The same kind of failure always reads the same, whatever the stage said.
            assertThat(map("decoder", (Status) c[0], 1)).as("%s", c[0]).isEqualTo(error);
        }
    }

    @Test
    void invalidArgumentClassAnswers_keepTheStagesDescription_whichIsTheReasonForTheRefusal() {
        assertThat(map("decoder", Status.OUT_OF_RANGE.withDescription("decoder steps must be <= 200"), 1).message())
                .isEqualTo("The decoder stage rejected the request: decoder steps must be <= 200");
        assertThat(map("prior", Status.FAILED_PRECONDITION.withDescription("guidance_scale must be <= 20"), 1).status()).isEqualTo(400);
        assertThat(map("decoder", Status.INVALID_ARGUMENT, 1).message()).contains("no details given");
    }

    @Test
    void imageEncoder_unimplemented_isAnUnsupportedOperation_andItsComplaintsPointAtTheImage() {
        ApiError unsupported = map("image-encoder", Status.UNIMPLEMENTED.withDescription("Method not found: unclip.v1.TextEncoder/EncodeImage"), 1);
        assertThat(unsupported.status()).isEqualTo(400);
        assertThat(unsupported.type()).isEqualTo("invalid_request_error");
        assertThat(unsupported.code()).isEqualTo("unsupported_operation");
        assertThat(unsupported.message()).contains("variations").contains("no image encoder").doesNotContain("Method not found");

        ApiError invalid = map("image-encoder", Status.INVALID_ARGUMENT.withDescription("images[0] cannot be decoded"), 1);
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.param()).isEqualTo("image");
    }

    @Test
    void aComplaintAboutOneRowOfABatch_namesTheFieldThatRowCameFrom() {
        StageException tooLong =
                new StageException("text-encoder", Status.INVALID_ARGUMENT.withDescription("prompts[1] is longer than 1000 characters"), 1, null);
        assertThat(tooLong.batchIndex()).hasValue(1);
        assertThat(ManipulationPipeline.rowParam(tooLong, java.util.List.of("from.prompt", "to.prompt"))).isEqualTo("to.prompt");

        StageException undecodable =
                new StageException("image-encoder", Status.INVALID_ARGUMENT.withDescription("image 0: not a PNG"), 1, null);
        assertThat(ManipulationPipeline.rowParam(undecodable, java.util.List.of("from.image", "to.image"))).isEqualTo("from.image");
        assertThat(ManipulationPipeline.rowParam(undecodable, java.util.List.of("image"))).isEqualTo("image");

        // No row named: the one field every row came from, else none.
        StageException vague = new StageException("text-encoder", Status.INVALID_ARGUMENT.withDescription("bad text"), 1, null);
        assertThat(vague.batchIndex()).isEmpty();
        assertThat(ManipulationPipeline.rowParam(vague, java.util.List.of("to.prompt"))).isEqualTo("to.prompt");
        assertThat(ManipulationPipeline.rowParam(vague, java.util.List.of("from_text", "to_text", "prompt"))).isNull();
    }

    @Test
    void aParamNamedByTheCaller_winsOverTheGuess_evenWhenItIsNone() {
        StageException e = new StageException("image-encoder", Status.INVALID_ARGUMENT.withDescription("images[1] cannot be decoded"), 1, null);

        assertThat(StageErrors.toApiError(e).param()).isEqualTo("image");
        assertThat(StageErrors.toApiError(e.withParam("to.image")).param()).isEqualTo("to.image");
        assertThat(StageErrors.toApiError(e.withParam(null)).param()).isNull();
        assertThat(StageErrors.toApiError(e.withParam("to.image")).message()).contains("images[1] cannot be decoded");
    }
}
