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
    void unavailable_is503_andSaysHowOftenItWasTried_andWhy() {
        Status refused =
                Status.UNAVAILABLE.withDescription("io exception").withCause(new ConnectException("Connection refused: /127.0.0.1:9101"));

        ApiError error = map("text-encoder", refused, 3);

        assertThat(error.status()).isEqualTo(503);
        assertThat(error.type()).isEqualTo("server_error");
        assertThat(error.code()).isEqualTo("stage_unavailable");
        assertThat(error.message()).contains("tried 3 times").contains("Connection refused: /127.0.0.1:9101");
    }

    @Test
    void otherFailures_map_toGatewayStatuses() {
        assertThat(map("decoder", Status.DEADLINE_EXCEEDED, 1).status()).isEqualTo(504);
        assertThat(map("decoder", Status.RESOURCE_EXHAUSTED, 1).status()).isEqualTo(503);
        assertThat(map("decoder", Status.INTERNAL.withDescription("boom"), 1).status()).isEqualTo(502);
        assertThat(map("decoder", Status.UNIMPLEMENTED, 1).status()).isEqualTo(502);
        assertThat(map("decoder", Status.UNKNOWN, 1).message()).contains("no details given");
    }

    @Test
    void imageEncoder_unimplemented_isAnUnsupportedOperation_andItsComplaintsPointAtTheImage() {
        ApiError unsupported = map("image-encoder", Status.UNIMPLEMENTED.withDescription("family x has no image encoder"), 1);
        assertThat(unsupported.status()).isEqualTo(400);
        assertThat(unsupported.type()).isEqualTo("invalid_request_error");
        assertThat(unsupported.code()).isEqualTo("unsupported_operation");
        assertThat(unsupported.message()).contains("variations").contains("family x has no image encoder");

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
