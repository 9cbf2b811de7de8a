package org.unclip.textencoder;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.util.ArrayList;
import java.util.List;
import org.unclip.api.v1.EncodeImageRequest;
import org.unclip.api.v1.EncodeImageResponse;
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.EncodeTextResponse;
import org.unclip.api.v1.TextEncoderServiceGrpc;
import org.unclip.stage.ProtoTensors;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.StageCalls;
import org.unclip.stage.family.FamilyCheck;

/**
 * gRPC face of the text-encoder stage: checks the request, encodes, answers. Prompts of calls that
 * arrive together are encoded in one model call ({@code unclip.batching.*}); {@link ShutdownDrain}
 * lets the calls running when the service stops finish.
 */
@GrpcService
@RegisterInterceptor(ShutdownDrain.class)
@RegisterInterceptor(FamilyCheck.class)
class TextEncoderGrpcService extends TextEncoderServiceGrpc.TextEncoderServiceImplBase {

    /** Longest prompt accepted, in characters (the OpenAI Images API limit for dall-e-2). */
    static final int MAX_PROMPT_CHARS = 1000;

    private final TextEncoderStage stage;
    private final StageConfig config;
    private final StageCalls calls;

    TextEncoderGrpcService(TextEncoderStage stage, StageConfig config, StageCalls calls) {
        this.stage = stage;
        this.config = config;
        this.calls = calls;
    }

    @Override
    @Blocking
    public void encodeText(EncodeTextRequest request, StreamObserver<EncodeTextResponse> response) {
        List<String> prompts = request.getPromptsList();
        if (prompts.isEmpty()) {
            response.onError(invalid("prompts must hold at least one prompt"));
            return;
        }
        if (prompts.size() > config.maxBatch()) {
            response.onError(invalid("at most " + config.maxBatch() + " prompts per call, got " + prompts.size()));
            return;
        }
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length() > MAX_PROMPT_CHARS) {
                response.onError(invalid("prompts[" + i + "] is longer than " + MAX_PROMPT_CHARS + " characters"));
                return;
            }
        }
        calls.serve("EncodeText", "text-encoder call", System.nanoTime(), response, stage.scheduler(), false,
                progress -> new PromptBatch(prompts),
                p -> {},
                batch -> {
                    response.onNext(EncodeTextResponse.newBuilder()
                            .setConditional(batch.result().toProto())
                            .setUnconditional(stage.unconditional().toProto())
                            .build());
                    response.onCompleted();
                });
    }

    @Override
    @Blocking
    public void encodeImage(EncodeImageRequest request, StreamObserver<EncodeImageResponse> response) {
        if (!stage.canEncodeImages()) {
            response.onError(Status.UNIMPLEMENTED
                    .withDescription("family " + stage.family().name() + " has no image encoder")
                    .asRuntimeException());
            return;
        }
        List<ByteString> images = request.getImagesList();
        if (images.isEmpty()) {
            response.onError(invalid("images must hold at least one encoded image"));
            return;
        }
        if (images.size() > config.maxBatch()) {
            response.onError(invalid("at most " + config.maxBatch() + " images per call, got " + images.size()));
            return;
        }
        List<byte[]> bytes = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i).size() > config.maxImageBytes()) {
                response.onError(invalid("images[" + i + "] is larger than " + config.maxImageBytes() + " bytes"));
                return;
            }
            bytes.add(images.get(i).toByteArray());
        }
        try {
            response.onNext(EncodeImageResponse.newBuilder()
                    .setImageEmbeds(ProtoTensors.toProto(stage.encodeImages(bytes), org.unclip.api.v1.Tensor.newBuilder()))
                    .build());
            response.onCompleted();
        } catch (IllegalArgumentException e) {
            response.onError(invalid(e.getMessage()));
        }
    }

    private static RuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }
}
