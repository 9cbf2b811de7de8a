package org.unclip.prior;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;
import org.unclip.api.v1.PriorEvent;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorResult;
import org.unclip.api.v1.PriorServiceGrpc;
import org.unclip.api.v1.Progress;
import org.unclip.core.onnx.OnnxModelException;
import org.unclip.core.pipeline.NonFiniteOutputException;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.core.pipeline.StepProgress;
import org.unclip.core.tensor.Tensor;

/** gRPC face of the prior stage: checks the request, streams a progress event per step, then the embeddings. */
@GrpcService
@RegisterInterceptor(ShutdownDrain.class)
class PriorGrpcService extends PriorServiceGrpc.PriorServiceImplBase {

    private static final Logger LOG = Logger.getLogger(PriorGrpcService.class);

    private final PriorStage stage;
    private final ShutdownDrain drain;

    PriorGrpcService(PriorStage stage, ShutdownDrain drain) {
        this.stage = stage;
        this.drain = drain;
    }

    @Override
    @Blocking
    public void generateEmbeddings(PriorRequest request, StreamObserver<PriorEvent> response) {
        Context call = Context.current();
        PriorPipeline.Request job;
        try {
            job = PriorRequests.toPipeline(request, stage.family());
        } catch (InvalidRequestException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        AtomicReference<StepProgress> lastStep = new AtomicReference<>();
        try {
            Tensor embeds = stage.pipeline().generate(job, p -> {
                lastStep.set(p);
                response.onNext(PriorEvent.newBuilder().setProgress(Progress.newBuilder()
                        .setStage(p.stage()).setStep(p.step()).setTotalSteps(p.totalSteps())).build());
            }, () -> call.isCancelled() || drain.abandoned());
            response.onNext(PriorEvent.newBuilder()
                    .setResult(PriorResult.newBuilder().setImageEmbeds(ProtoTensors.toProto(embeds)))
                    .build());
            response.onCompleted();
        } catch (CancellationException e) {
            if (drain.abandoned()) {
                LOG.warnf("prior request %s stopped by the shutdown after %s", request.getRequestId(),
                        describe(lastStep.get()));
                response.onError(ShutdownDrain.abandonedStatus().asRuntimeException());
                return;
            }
            LOG.infof("prior request %s cancelled by the client after %s", request.getRequestId(),
                    describe(lastStep.get()));
            response.onError(Status.CANCELLED.withDescription("cancelled by the client").asRuntimeException());
        } catch (StatusRuntimeException e) {
            // the stream was closed under us (client gone); nothing left to tell it
            LOG.infof("prior request %s cancelled by the client after %s (%s)", request.getRequestId(),
                    describe(lastStep.get()), e.getStatus());
        } catch (NonFiniteOutputException | OnnxModelException e) {
            LOG.errorf("prior request %s failed: %s", request.getRequestId(), e.getMessage());
            response.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
            LOG.errorf(e, "prior request %s failed", request.getRequestId());
            response.onError(Status.INTERNAL.withDescription("prior failed: " + e).asRuntimeException());
        }
    }

    private static String describe(StepProgress p) {
        return p == null ? "no steps" : p.stage() + " step " + p.step() + "/" + p.totalSteps();
    }
}
