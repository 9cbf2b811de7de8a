package org.unclip.prior;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.unclip.api.v1.PriorEvent;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorResult;
import org.unclip.api.v1.PriorServiceGrpc;
import org.unclip.api.v1.Progress;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.core.pipeline.StepProgress;
import org.unclip.core.tensor.Tensor;
import org.unclip.stage.InvalidRequestException;
import org.unclip.stage.ProgressPump;
import org.unclip.stage.ProtoTensors;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.StageFailures;
import org.unclip.stage.metrics.StageMetrics;

/**
 * gRPC face of the prior stage: checks the request, hands the run to the stage's batch (stepped
 * together with the other calls' runs), streams a progress event per step, then the embeddings.
 */
@GrpcService
@RegisterInterceptor(ShutdownDrain.class)
class PriorGrpcService extends PriorServiceGrpc.PriorServiceImplBase {

    private final PriorStage stage;
    private final ShutdownDrain drain;
    private final StageMetrics metrics;

    PriorGrpcService(PriorStage stage, ShutdownDrain drain, StageMetrics metrics) {
        this.stage = stage;
        this.drain = drain;
        this.metrics = metrics;
    }

    @Override
    @Blocking
    public void generateEmbeddings(PriorRequest request, StreamObserver<PriorEvent> response) {
        long started = System.nanoTime();
        Context call = Context.current();
        PriorPipeline.Request job;
        try {
            job = PriorRequests.toPipeline(request, stage.family());
        } catch (InvalidRequestException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            metrics.call("GenerateEmbeddings", "invalid_argument", started);
            return;
        }
        AtomicReference<StepProgress> lastStep = new AtomicReference<>();
        String outcome = "ok";
        try {
            ProgressPump pump = new ProgressPump(false);
            PriorPipeline.Run run = stage.pipeline().start(job, pump);
            CompletableFuture<PriorPipeline.Run> done =
                    stage.scheduler().submit(run, () -> call.isCancelled() || drain.abandoned());
            Tensor embeds = pump.pump(done, p -> {
                lastStep.set(p);
                response.onNext(PriorEvent.newBuilder().setProgress(Progress.newBuilder()
                        .setStage(p.stage()).setStep(p.step()).setTotalSteps(p.totalSteps())).build());
            }).result();
            response.onNext(PriorEvent.newBuilder()
                    .setResult(PriorResult.newBuilder().setImageEmbeds(
                            ProtoTensors.toProto(embeds, org.unclip.api.v1.Tensor.newBuilder())))
                    .build());
            response.onCompleted();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = StageFailures.fail(response, new CancellationException("interrupted"),
                    "prior request " + request.getRequestId(), describe(lastStep.get()), drain);
        } catch (RuntimeException e) {
            outcome = StageFailures.fail(response, e, "prior request " + request.getRequestId(),
                    describe(lastStep.get()), drain);
        }
        metrics.call("GenerateEmbeddings", outcome, started);
    }

    private static String describe(StepProgress p) {
        return p == null ? "no steps" : p.stage() + " step " + p.step() + "/" + p.totalSteps();
    }
}
