package org.unclip.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {

    private static Tensor iota(long... shape) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = i;
        }
        return Tensor.of(d, shape);
    }

    @Test
    void rejectsDataThatDoesNotFillTheShape() {
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]").hasMessageContaining("6").hasMessageContaining("5");
        assertThatThrownBy(() -> Tensor.of(new float[0], -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(new float[1])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isNotChangedThroughItsArrays() {
        float[] data = {1, 2, 3};
        long[] shape = {1, 3};
        Tensor t = new Tensor(shape, data);
        data[0] = 99;
        shape[0] = 7;
        t.data()[1] = 99;
        t.shape()[1] = 7;
        assertThat(t.data()).containsExactly(1, 2, 3);
        assertThat(t.shape()).containsExactly(1, 3);
    }

    @Test
    void slicesAndConcatenatesAlongTheBatch() {
        Tensor t = iota(4, 2, 3);
        Tensor a = t.slice(0, 1);
        Tensor b = t.slice(1, 4);
        assertThat(b.shape()).containsExactly(3, 2, 3);
        assertThat(b.get(0)).isEqualTo(6f);
        assertThat(Tensor.concat(a, b)).isEqualTo(t);
        assertThat(t.row(2).data()).containsExactly(t.rowData(2));
        assertThat(t.rowData(3)).containsExactly(18, 19, 20, 21, 22, 23);
        assertThatThrownBy(() -> t.slice(2, 5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Tensor.concat(t, iota(1, 3, 2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stacksRows() {
        Tensor t = Tensor.ofRows(List.of(new float[] {1, 2}, new float[] {3, 4}, new float[] {5, 6}), 2);
        assertThat(t.shape()).containsExactly(3, 2);
        assertThat(t.data()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThatThrownBy(() -> Tensor.ofRows(List.of(new float[3]), 2)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concatenatesChannelsPerRow() {
        Tensor a = iota(2, 1, 2, 2);
        Tensor b = Tensor.filled(-1f, 2, 2, 2, 2);
        Tensor c = Tensor.concatChannels(a, b);
        assertThat(c.shape()).containsExactly(2, 3, 2, 2);
        assertThat(c.rowData(0)).containsExactly(0, 1, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1);
        assertThat(c.rowData(1)).containsExactly(4, 5, 6, 7, -1, -1, -1, -1, -1, -1, -1, -1);
        assertThatThrownBy(() -> Tensor.concatChannels(a, iota(2, 1, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void broadcastsOnlyBatchOne() {
        Tensor one = iota(1, 3);
        Tensor three = one.broadcastBatch(3);
        assertThat(three.shape()).containsExactly(3, 3);
        assertThat(three.rowData(2)).containsExactly(0, 1, 2);
        assertThat(three.broadcastBatch(3)).isSameAs(three);
        assertThatThrownBy(() -> three.broadcastBatch(6)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findsNonFiniteValues() {
        assertThat(iota(2, 2).isFinite()).isTrue();
        assertThat(Tensor.of(new float[] {0, Float.NaN, 1}, 3).firstNonFinite()).isEqualTo(1);
        assertThat(Tensor.of(new float[] {0, 1, Float.NEGATIVE_INFINITY}, 3).firstNonFinite()).isEqualTo(2);
    }

    @Test
    void reshapesKeepingElements() {
        Tensor t = iota(2, 6).reshape(2, 2, 3);
        assertThat(t.shape()).containsExactly(2, 2, 3);
        assertThat(t.rowSize()).isEqualTo(6);
        assertThat(t.rowShape()).containsExactly(2, 3);
        assertThatThrownBy(() -> t.reshape(5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void masksPrependContextTokensAndConcatenate() {
        BoolTensor mask = BoolTensor.nonZero(Tensor.of(new float[] {1, 1, 0, 1, 0, 0}, 2, 3));
        BoolTensor withContext = mask.prependTrue(4);
        assertThat(withContext.shape()).containsExactly(2, 7);
        assertThat(withContext.data()).containsExactly(
                true, true, true, true, true, true, false,
                true, true, true, true, true, false, false);
        BoolTensor both = BoolTensor.concat(List.of(mask.slice(1, 2), mask));
        assertThat(both.shape()).containsExactly(3, 3);
        assertThat(both.data()).startsWith(true, false, false, true, true, false);
    }

    @Test
    void longTensorsFillTimesteps() {
        LongTensor t = LongTensor.filled(916, 3);
        assertThat(t.shape()).containsExactly(3);
        assertThat(t.data()).containsExactly(916, 916, 916);
        assertThatThrownBy(() -> LongTensor.of(new long[2], 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wrapTakesTheArrayOver_andViewReadsWithoutCopyingOrWriting() {
        float[] d = {1, 2, 3, 4};
        Tensor t = Tensor.wrap(d, 2, 2);
        assertThat(t).isEqualTo(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        assertThat(t.view().get(3)).isEqualTo(4f);
        assertThat(t.view().isReadOnly()).isTrue();
        assertThatThrownBy(() -> t.view().put(0, 9f)).isInstanceOf(java.nio.ReadOnlyBufferException.class);
        assertThatThrownBy(() -> Tensor.wrap(d, 3)).isInstanceOf(IllegalArgumentException.class);
        // the ordinary constructor and data() still copy
        float[] copy = t.data();
        copy[0] = 7f;
        assertThat(t.get(0)).isEqualTo(1f);
    }
}
