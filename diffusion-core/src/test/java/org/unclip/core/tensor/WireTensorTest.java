package org.unclip.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class WireTensorTest {

    @Test
    void roundTripsThroughLittleEndianBytes() {
        Tensor t = Tensor.of(new float[] {1.5f, -2f, 0f, 3.25f, 7f, -0.125f}, 2, 3);

        byte[] bytes = WireTensor.toLittleEndian(t);

        assertThat(bytes).hasSize(24);
        assertThat(bytes[0]).isEqualTo((byte) 0x00); // 1.5f = 0x3FC00000, little-endian
        assertThat(bytes[3]).isEqualTo((byte) 0x3F);
        assertThat(new WireTensor(new long[] {2, 3}, ByteBuffer.wrap(bytes)).decode("x", WireTensor.ANY, 3))
                .isEqualTo(t);
    }

    @Test
    void namesTheFieldAndTheExpectedShape() {
        WireTensor wrongShape = WireTensor.of(Tensor.zeros(2, 4));
        assertThatThrownBy(() -> wrongShape.decode("image_embeds", WireTensor.ANY, 3))
                .isInstanceOf(WireTensor.MalformedTensorException.class)
                .hasMessage("image_embeds has shape [2, 4]; expected [B, 3]");

        WireTensor missing = new WireTensor(new long[0], ByteBuffer.allocate(0));
        assertThatThrownBy(() -> missing.decode("text", 1, 3)).hasMessageContaining("text is missing");

        WireTensor short_ = new WireTensor(new long[] {1, 3}, ByteBuffer.allocate(8));
        assertThatThrownBy(() -> short_.decode("x", 1, 3)).hasMessageContaining("8 bytes of data; expected 12");
    }

    @Test
    void rejectsNonFiniteValues() {
        WireTensor nan = WireTensor.of(Tensor.of(new float[] {0f, Float.NaN}, 1, 2));

        assertThatThrownBy(() -> nan.decode("sample", 1, 2)).hasMessageContaining("non-finite");
    }
}
