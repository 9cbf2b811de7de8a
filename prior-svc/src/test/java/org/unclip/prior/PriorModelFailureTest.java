package org.unclip.prior;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.PriorServiceGrpc.PriorServiceBlockingStub;

/** A model that produces infinity fails the call with INTERNAL instead of returning garbage. */
@QuarkusTest
@TestProfile(OverflowingFamilyProfile.class)
class PriorModelFailureTest {

    @GrpcClient("self")
    PriorServiceBlockingStub client;

    @Test
    void nonFiniteOutputIsAnInternalError() {
        assertThatThrownBy(() -> client.withDeadlineAfter(60, TimeUnit.SECONDS)
                .generateEmbeddings(TestRequests.valid(TestRequests.family(), 1).build())
                .forEachRemaining(e -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
                    assertThat(e.getStatus().getDescription()).contains("non-finite");
                });
    }
}
