package org.atmanrl.model.io;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Moves float32 values between a heap chunk and an array's off-heap buffer, so that loading and
 * saving never hold a whole tensor on the heap, and tensors beyond a ByteBuffer's 2 GB work.
 */
final class OffHeapFloats {
    private OffHeapFloats() {
    }

    static void put(INDArray dst, long offset, float[] src, int n) {
        pointer(dst).position(offset).put(src, 0, n);
    }

    static void get(INDArray src, long offset, float[] dst, int n) {
        pointer(src).position(offset).get(dst, 0, n);
    }

    private static FloatPointer pointer(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.isView() || a.ordering() != 'c') {
            throw new IllegalArgumentException("expected a dense row-major FLOAT array, got "
                    + a.dataType() + (a.isView() ? " view" : "") + " order " + a.ordering());
        }
        return new FloatPointer(a.data().addressPointer());
    }
}
