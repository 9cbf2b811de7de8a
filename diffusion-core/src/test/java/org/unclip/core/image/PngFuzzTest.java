package org.unclip.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.unclip.core.tensor.Tensor;

/**
 * The PNG reader on bytes nobody vetted: random bytes, valid PNGs with bytes flipped or cut off,
 * and headers that claim any size. Each either decodes to an RGB tensor within the side limit or
 * is refused with {@link IllegalArgumentException}; nothing else escapes, and nothing allocates for
 * a size the header merely claims.
 */
class PngFuzzTest {

    private static final byte[] VALID = Png.encode(gradient(24, 17));

    private static Tensor gradient(int w, int h) {
        float[] d = new float[3 * w * h];
        for (int i = 0; i < d.length; i++) {
            d[i] = (i % 251) / 125.5f - 1f;
        }
        return new Tensor(new long[] {3, h, w}, d);
    }

    private static void decodesOrIsRefused(byte[] bytes) {
        try {
            Tensor image = Png.decode(bytes);
            assertThat(image.shape()).hasSize(3);
            assertThat(image.shape()[0]).isEqualTo(3);
            assertThat(image.shape()[1]).isBetween(1L, (long) Png.MAX_DECODED_SIDE);
            assertThat(image.shape()[2]).isBetween(1L, (long) Png.MAX_DECODED_SIDE);
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 300)
    void randomBytes(@ForAll @Size(max = 4096) byte[] bytes) {
        decodesOrIsRefused(bytes);
    }

    @Property(tries = 400)
    void aValidPngWithBytesFlipped(@ForAll("flips") List<int[]> flips) {
        byte[] bytes = VALID.clone();
        for (int[] flip : flips) {
            bytes[flip[0] % bytes.length] ^= (byte) flip[1];
        }
        decodesOrIsRefused(bytes);
    }

    @Provide
    Arbitrary<List<int[]>> flips() {
        Arbitrary<int[]> flip = Combinators.combine(Arbitraries.integers().between(0, VALID.length - 1), Arbitraries.integers().between(1, 255))
                .as((at, mask) -> new int[] {at, mask});
        return flip.list().ofMinSize(1).ofMaxSize(8);
    }

    @Property(tries = 200)
    void aValidPngCutShort(@ForAll("cuts") int length) {
        decodesOrIsRefused(Arrays.copyOf(VALID, length));
    }

    @Provide
    Arbitrary<Integer> cuts() {
        return Arbitraries.integers().between(0, VALID.length - 1);
    }

    /** IHDR width and height (bytes 16..23) set to anything, the CRC left wrong or not. */
    @Property(tries = 300)
    void aHeaderClaimingAnySize(@ForAll int width, @ForAll int height) {
        byte[] bytes = VALID.clone();
        ByteBuffer.wrap(bytes, 16, 8).putInt(width).putInt(height);
        decodesOrIsRefused(bytes);
    }
}
