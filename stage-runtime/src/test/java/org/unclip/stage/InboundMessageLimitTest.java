package org.unclip.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class InboundMessageLimitTest {

    private static Path shipped() {
        String root = System.getProperty("unclip.root");
        Path base = root != null && !root.isBlank() ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
        return base.resolve("models/shapes-tiny");
    }

    /** What the largest request of a family carries, as float32 bytes (the limit's own count). */
    private static long largestRequest(int l, int w, int d) {
        int rows = InboundMessageLimit.MAX_ROWS_PER_CALL;
        return 4L * ((rows + 1) * ((long) l * w + d + l) + (long) rows * d);
    }

    @Test
    void karloDimensionsNeedMoreThanGrpcsDefault() {
        int limit = InboundMessageLimit.forDimensions(77, 768, 768);
        // 16 rows of 77 x 768 text states and the unconditional row: 4.13 MB, 98 % of grpc-java's
        // 4 MiB before any framing; the limit leaves room and goes over the default
        assertThat(largestRequest(77, 768, 768)).isGreaterThan(InboundMessageLimit.GRPC_DEFAULT * 95L / 100);
        assertThat(limit).isGreaterThan(InboundMessageLimit.GRPC_DEFAULT);
        assertThat((long) limit).isGreaterThan(largestRequest(77, 768, 768) * 5 / 4)
                .isLessThan(largestRequest(77, 768, 768) * 2);
    }

    @Test
    void theShippedFamilyKeepsTheFloor() {
        InboundMessageLimit limit = new InboundMessageLimit(shipped().toString(), InboundMessageLimit.GRPC_DEFAULT);
        assertThat(limit.limit()).isEqualTo(InboundMessageLimit.GRPC_DEFAULT);
        assertThat(new InboundMessageLimit(shipped().toString(), 9 << 20).limit()).isEqualTo(9 << 20);
    }

    @Test
    void refusesWhatGrpcCannotCarry() {
        assertThatThrownBy(() -> InboundMessageLimit.forDimensions(4096, 65536, 1024))
                .hasMessageContaining("over gRPC's 2 GiB");
        assertThatThrownBy(() -> new InboundMessageLimit(shipped().toString(), 0))
                .hasMessageContaining("min-inbound-message-size");
    }
}
