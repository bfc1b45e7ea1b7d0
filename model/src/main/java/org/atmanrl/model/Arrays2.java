package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;

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
}
