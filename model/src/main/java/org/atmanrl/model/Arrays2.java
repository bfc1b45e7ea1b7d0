package org.atmanrl.model;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Frees off-heap buffers as soon as they are dead. ND4J otherwise releases them only when the
 * JVM collects the owning objects, which with a large heap is rare: native memory then grows and
 * every step slows 2.5-3x (docs/design.md 6.1). An array from {@link BufferPool} goes back to it
 * for reuse instead.
 */
final class Arrays2 {
    private Arrays2() {}

    static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && !BufferPool.giveBack(a) && !a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
    }

    /**
     * Whether {@code a}'s elements are its buffer's first {@code a.length()} elements in row-major
     * order, so that loops may read and write the buffer by flat index. True of an array from
     * {@link BufferPool}, whose buffer may be longer than the array (ND4J then calls it a view).
     */
    static boolean flatFromStart(INDArray a) {
        return a.ordering() == 'c' && a.offset() == 0 && Arrays.equals(a.stride(), Nd4j.getStrides(a.shape(), 'c'));
    }

    /**
     * {@code a} itself when it is {@link #flatFromStart}, else a row-major copy, for loops that read
     * the buffer by flat index; the caller closes the result when it is not {@code a}.
     */
    static INDArray flatOrCopy(INDArray a) {
        return flatFromStart(a) ? a : a.dup('c');
    }
}
