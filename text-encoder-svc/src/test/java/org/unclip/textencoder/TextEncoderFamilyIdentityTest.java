package org.unclip.textencoder;

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
import org.unclip.api.v1.EncodeTextRequest;
import org.unclip.api.v1.TextEncoderServiceGrpc.TextEncoderServiceBlockingStub;
import org.unclip.core.family.ModelFamily;
import org.unclip.stage.family.FamilyCheck;
import org.unclip.stage.family.FamilyIdentity;

/** The text encoder names the family it serves on every call and refuses calls pinned to another. */
@QuarkusTest
class TextEncoderFamilyIdentityTest {

    private static final ModelFamily FAMILY = ModelFamily.load(TestFamily.dir());
    private static final FamilyIdentity SERVED = FamilyIdentity.of(FAMILY);
    private static final EncodeTextRequest REQUEST =
            EncodeTextRequest.newBuilder().addPrompts("a red circle").build();

    @GrpcClient("self")
    TextEncoderServiceBlockingStub client;

    @Inject
    MeterRegistry registry;

    @Test
    void everyAnswerNamesTheServedFamily_andItsMetricSaysSo() {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        client.withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .encodeText(REQUEST);
        assertThat(headers.get().get(FamilyCheck.FAMILY)).isEqualTo(FAMILY.name());
        assertThat(headers.get().get(FamilyCheck.FAMILY_HASH)).isEqualTo(SERVED.hash());
        assertThat(registry.get("unclip.model.family.info")
                .tags("service", "text-encoder-svc", "family", SERVED.name(), "hash", SERVED.hash()).gauge().value())
                .isEqualTo(1.0);
    }

    @Test
    void aCallPinnedToAnotherFamily_isRefusedFailedPrecondition() {
        Metadata pin = new Metadata();
        pin.put(FamilyCheck.EXPECT_FAMILY, FAMILY.name());
        pin.put(FamilyCheck.EXPECT_FAMILY_HASH, "0".repeat(64));
        assertThatThrownBy(() -> client.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(pin))
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .encodeText(REQUEST))
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
                .encodeText(REQUEST);
    }
}
