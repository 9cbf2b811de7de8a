package org.unclip.decoder;

import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;
import org.unclip.api.v1.DecoderEvent;
import org.unclip.api.v1.DecoderRequest;
import org.unclip.api.v1.DecoderResult;
import org.unclip.api.v1.DecoderServiceGrpc;
import org.unclip.api.v1.GeneratedImage;
import org.unclip.api.v1.Progress;
import org.unclip.core.image.Png;
import org.unclip.core.onnx.OnnxModelException;
import org.unclip.core.pipeline.NonFiniteOutputException;
import org.unclip.core.pipeline.StepProgress;
import org.unclip.core.tensor.Tensor;

/**
 * gRPC face of the decoder stage: checks the request, streams a progress event per step of the
 * decoder and of each upsampler (with an optional PNG preview of image 0's x0 prediction), then the
 * PNG images.
 */
@GrpcService
@RegisterInterceptor(ShutdownDrain.class)
class DecoderGrpcService extends DecoderServiceGrpc.DecoderServiceImplBase {

    private static final Logger LOG = Logger.getLogger(DecoderGrpcService.class);

    private final DecoderStage stage;
    private final ShutdownDrain drain;

    DecoderGrpcService(DecoderStage stage, ShutdownDrain drain) {
        this.stage = stage;
        this.drain = drain;
    }

    @Override
    @Blocking
    public void generateImages(DecoderRequest request, StreamObserver<DecoderEvent> response) {
        Context call = Context.current();
        DecoderJob job;
        try {
            job = DecoderRequests.toJob(request, stage.family());
        } catch (InvalidRequestException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        AtomicReference<StepProgress> lastStep = new AtomicReference<>();
        try {
            Tensor images = stage.pipeline().generate(job.request(), p -> {
                lastStep.set(p);
                response.onNext(DecoderEvent.newBuilder().setProgress(progress(p, job.previews())).build());
            }, () -> call.isCancelled() || drain.abandoned());
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
        } catch (CancellationException e) {
            if (drain.abandoned()) {
                LOG.warnf("decoder request %s stopped by the shutdown after %s", request.getRequestId(),
                        describe(lastStep.get()));
                response.onError(ShutdownDrain.abandonedStatus().asRuntimeException());
                return;
            }
            LOG.infof("decoder request %s cancelled by the client after %s", request.getRequestId(),
                    describe(lastStep.get()));
            response.onError(Status.CANCELLED.withDescription("cancelled by the client").asRuntimeException());
        } catch (StatusRuntimeException e) {
            // the stream was closed under us (client gone); nothing left to tell it
            LOG.infof("decoder request %s cancelled by the client after %s (%s)", request.getRequestId(),
                    describe(lastStep.get()), e.getStatus());
        } catch (NonFiniteOutputException | OnnxModelException e) {
            LOG.errorf("decoder request %s failed: %s", request.getRequestId(), e.getMessage());
            response.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            LOG.errorf(e, "decoder request %s failed", request.getRequestId());
            response.onError(Status.INTERNAL.withDescription("decoder failed: " + e).asRuntimeException());
        }
    }

    private static Progress progress(StepProgress p, boolean previews) {
        Progress.Builder b = Progress.newBuilder().setStage(p.stage()).setStep(p.step()).setTotalSteps(p.totalSteps());
        if (previews) {
            b.setPreviewPng(ByteString.copyFrom(Png.encode(p.predictedOriginal().row(0))));
        }
        return b.build();
    }

    private static String describe(StepProgress p) {
        return p == null ? "no steps" : p.stage() + " step " + p.step() + "/" + p.totalSteps();
    }
}
