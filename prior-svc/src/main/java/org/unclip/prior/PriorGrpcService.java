package org.unclip.prior;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.common.annotation.Blocking;
import org.unclip.api.v1.PriorEvent;
import org.unclip.api.v1.PriorRequest;
import org.unclip.api.v1.PriorResult;
import org.unclip.api.v1.PriorServiceGrpc;
import org.unclip.api.v1.Progress;
import org.unclip.core.pipeline.PriorPipeline;
import org.unclip.stage.InvalidRequestException;
import org.unclip.stage.ProtoTensors;
import org.unclip.stage.ShutdownDrain;
import org.unclip.stage.StageCalls;
import org.unclip.stage.family.FamilyCheck;

/**
 * gRPC face of the prior stage: checks the request, hands the run to the stage's batch (stepped
 * together with the other calls' runs), streams a progress event per step, then the embeddings.
 */
@GrpcService
@RegisterInterceptor(ShutdownDrain.class)
@RegisterInterceptor(FamilyCheck.class)
class PriorGrpcService extends PriorServiceGrpc.PriorServiceImplBase {

    private final PriorStage stage;
    private final StageCalls calls;

    PriorGrpcService(PriorStage stage, StageCalls calls) {
        this.stage = stage;
        this.calls = calls;
    }

    @Override
    @Blocking
    public void generateEmbeddings(PriorRequest request, StreamObserver<PriorEvent> response) {
        long started = System.nanoTime();
        PriorPipeline.Request job;
        try {
            job = PriorRequests.toPipeline(request, stage.family());
        } catch (InvalidRequestException e) {
            calls.invalid(response, "GenerateEmbeddings", e, started);
            return;
        }
        calls.serve("GenerateEmbeddings", "prior request " + request.getRequestId(), started, response,
                stage.scheduler(), false,
                pump -> stage.pipeline().start(job, pump),
                p -> response.onNext(PriorEvent.newBuilder().setProgress(Progress.newBuilder()
                        .setStage(p.stage()).setStep(p.step()).setTotalSteps(p.totalSteps())).build()),
                run -> {
                    response.onNext(PriorEvent.newBuilder()
                            .setResult(PriorResult.newBuilder().setImageEmbeds(
                                    ProtoTensors.toProto(run.result(), org.unclip.api.v1.Tensor.newBuilder())))
                            .build());
                    response.onCompleted();
                });
    }
}
