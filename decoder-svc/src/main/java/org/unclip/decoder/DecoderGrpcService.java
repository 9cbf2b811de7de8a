package org.unclip.decoder;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.util.List;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc;
import org.unclip.api.v1.GeneratedImage;
import org.unclip.api.v1.Progress;
import org.unclip.core.image.Png;
import org.unclip.core.pipeline.StepProgress;
import org.unclip.core.tensor.Tensor;
import org.unclip.stage.InvalidRequestException;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.StageCalls;
import org.unclip.stage.family.FamilyCheck;

/**
 * gRPC face of the decoder stage: checks the request, runs text_proj, hands the run to the
 * stage's batch (where it is stepped together with the other calls' runs) and streams a progress
 * event per step of the decoder and of each upsampler (with an optional PNG preview of image 0's
 * x0 prediction), then the PNG images. Events and PNGs are made on the call's own thread.
 */
@GrpcService
@RegisterInterceptor(ShutdownDrain.class)
@RegisterInterceptor(FamilyCheck.class)
class DecoderGrpcService extends DecoderServiceGrpc.DecoderServiceImplBase {

    private final DecoderStage stage;
    private final StageCalls calls;

    DecoderGrpcService(DecoderStage stage, StageCalls calls) {
        this.stage = stage;
        this.calls = calls;
    }

    @Override
    @Blocking
    public void generateImages(DecoderRequest request, StreamObserver<DecoderEvent> response) {
        long started = System.nanoTime();
        DecoderJob job;
        try {
            job = DecoderRequests.toJob(request, stage.family());
        } catch (InvalidRequestException e) {
            calls.invalid(response, "GenerateImages", e, started);
            return;
        }
        calls.serve("GenerateImages", "decoder request " + request.getRequestId(), started, response,
                stage.scheduler(), job.previews(),
                pump -> stage.pipeline().start(job.request(), pump),
                p -> response.onNext(DecoderEvent.newBuilder().setProgress(progress(p, job.previews())).build()),
                run -> {
                    Tensor images = run.result();
                    DecoderResult.Builder result = DecoderResult.newBuilder();
                    List<Long> seeds = job.request().seeds();
                    for (int i = 0; i < images.batch(); i++) {
                        result.addImages(GeneratedImage.newBuilder()
                                .setPng(ByteString.copyFrom(Png.encode(images.row(i))))
                                .setSeed(seeds.get(i))
                                .setWidth(job.size())
                                .setHeight(job.size()));
                    }
                    response.onNext(DecoderEvent.newBuilder().setResult(result).build());
                    response.onCompleted();
                });
    }

    private static Progress progress(StepProgress p, boolean preview) {
        Progress.Builder b = Progress.newBuilder().setStage(p.stage()).setStep(p.step()).setTotalSteps(p.totalSteps());
        if (preview) {
            b.setPreviewPng(ByteString.copyFrom(Png.encode(p.predictedOriginal().row(0))));
        }
        return b.build();
    }
}
