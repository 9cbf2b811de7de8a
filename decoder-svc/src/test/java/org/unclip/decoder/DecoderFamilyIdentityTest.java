package org.unclip.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.unclip.api.v1.DecoderServiceGrpc.DecoderServiceBlockingStub;
import org.unclip.core.family.ModelFamily;
import org.unclip.stage.family.FamilyCheck;
import org.unclip.stage.family.FamilyIdentity;

/** The decoder names the family it serves on every call and refuses calls pinned to another. */
@QuarkusTest
class DecoderFamilyIdentityTest {

    private static final ModelFamily FAMILY = TestRequests.family();
    private static final FamilyIdentity SERVED = FamilyIdentity.of(FAMILY);

    @GrpcClient("self")
    DecoderServiceBlockingStub client;

    @Inject
    MeterRegistry registry;

    /** A short run: the smallest output size, two steps a loop. */
    private static org.unclip.api.v1.DecoderRequest request() {
        return TestRequests.valid(FAMILY, 5).setDecoderSteps(2).setUpsamplerSteps(2)
                .setSize(FAMILY.outputSizes().get(0)).build();
    }

    @Test
    void everyAnswerNamesTheServedFamily_andItsMetricSaysSo() {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        client.withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .generateImages(request())
                .forEachRemaining(e -> {});
        assertThat(headers.get().get(FamilyCheck.FAMILY)).isEqualTo(FAMILY.name());
        assertThat(headers.get().get(FamilyCheck.FAMILY_HASH)).isEqualTo(SERVED.hash());
        assertThat(registry.get("unclip.model.family.info")
                .tags("service", "decoder-svc", "family", SERVED.name(), "hash", SERVED.hash()).gauge().value())
                .isEqualTo(1.0);
    }

    @Test
    void aCallPinnedToAnotherFamily_isRefusedFailedPrecondition() {
        Metadata pin = new Metadata();
        pin.put(FamilyCheck.EXPECT_FAMILY, FAMILY.name());
        pin.put(FamilyCheck.EXPECT_FAMILY_HASH, "0".repeat(64));
        assertThatThrownBy(() -> client.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(pin))
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .generateImages(request())
                        .forEachRemaining(e -> {}))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("model family mismatch");
                    assertThat(e.getTrailers().get(FamilyCheck.FAMILY_HASH)).isEqualTo(SERVED.hash());
                });

        Metadata same = new Metadata();
        same.put(FamilyCheck.EXPECT_FAMILY, FAMILY.name());
        same.put(FamilyCheck.EXPECT_FAMILY_HASH, SERVED.hash());
        client.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(same))
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .generateImages(request())
                .forEachRemaining(e -> {});
    }
}
