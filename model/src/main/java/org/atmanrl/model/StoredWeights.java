package org.atmanrl.model;

import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import org.atmanrl.model.io.HalfFloats;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Weights kept in bfloat16 and computed with in fp32 (docs/design.md 3.4, "bf16 storage"): {@link #fp32} widens a
 * stored matrix into a scratch array that each thread reuses, so that a pass holds at most one
 * widened matrix at a time. Widening is exact (a bf16 value is the top half of a float), so every
 * GEMM sees exactly the floats an fp32 copy of the stored values would give it.
 *
 * <p>Why not a mixed-type GEMM: ND4J 1.0.0-M2.1 on CPU fails {@code matmul} of FLOAT by BFLOAT16,
 * and computes BFLOAT16 by BFLOAT16 in a generic loop about 100x slower than fp32 BLAS
 * (docs/measurements.md, "bf16 storage"). Why a reused scratch rather than {@code castTo}: a fresh
 * array of a layer's size costs far more here than the conversion into one already touched. The
 * scratch lives as long as its thread (the memory plan counts one per task, docs/design.md 3.3).
 */
public final class StoredWeights {
    private static final ThreadLocal<INDArray> SCRATCH = new ThreadLocal<>();

    private StoredWeights() {}

    /** Whether {@code dtype} is a storage type that compute needs widened. */
    public static boolean isNarrow(DataType dtype) {
        return dtype == DataType.BFLOAT16;
    }

    /**
     * {@code w} itself unless it is bf16; else its fp32 values in this thread's scratch, valid until
     * this thread's next call (callers use it for one GEMM, or hold it for one loop of GEMMs that
     * widen nothing else, as {@link LmHead} does).
     */
    static INDArray fp32(INDArray w) {
        if (!isNarrow(w.dataType())) {
            return w;
        }
        INDArray scratch = SCRATCH.get();
        if (scratch == null || scratch.length() < w.length()) {
            Arrays2.release(scratch);
            scratch = Nd4j.createUninitialized(DataType.FLOAT, w.length());
            SCRATCH.set(scratch);
        }
        INDArray wide = Nd4j.create(scratch.data(), w.shape());
        return wide.assign(w);
    }

    /**
     * {@code a} rounded to bf16, to nearest with ties to even as PyTorch rounds
     * ({@link HalfFloats#floatToBf16}): a new BFLOAT16 array of the same shape.
     */
    public static INDArray toBf16(INDArray a) {
        return fromBf16Bits(bf16Bits(a), a.shape());
    }

    /**
     * Whether bf16 storage rounds this tensor of a model ({@link LlamaWeights#bf16Copy}): its
     * matrices (embedding, projections, head), not its norms (vectors, a small share of the bytes
     * that scales every activation). The driver's bf16 snapshots narrow the same tensors, so that an
     * executor receives exactly the values it stores (docs/design.md 3.4, "bf16 storage").
     */
    public static boolean narrows(INDArray tensor) {
        return tensor.rank() == 2;
    }

    /** {@code a}'s values, row-major, rounded to bf16 as {@link #toBf16} rounds them: the raw 16-bit values. */
    public static short[] bf16Bits(INDArray a) {
        float[] v;
        try (INDArray c = a.castTo(DataType.FLOAT).dup('c')) {
            v = c.data().asFloat();
        }
        short[] s = new short[v.length];
        for (int i = 0; i < v.length; i++) s[i] = HalfFloats.floatToBf16(v[i]);
        return s;
    }

    /** A new c-order BFLOAT16 array of {@code shape} holding these raw 16-bit values. */
    public static INDArray fromBf16Bits(short[] bits, long[] shape) {
        INDArray out = Nd4j.create(DataType.BFLOAT16, shape, 'c');
        bits(out).put(0, bits);
        return out;
    }

    /**
     * Overwrites {@code target} (BFLOAT16, the shape of {@code bits}) with raw 16-bit values: into its
     * buffer when it is dense and c-ordered, as the arrays of {@link #toBf16} are, else through a new array.
     */
    public static void copyBf16Bits(short[] bits, INDArray target) {
        if (!isNarrow(target.dataType()) || target.length() != bits.length) {
            throw new IllegalArgumentException(bits.length + " bf16 values for a " + target.dataType() + " array of "
                    + target.length());
        }
        if (!target.isView() && target.ordering() == 'c' && target.data().length() == bits.length) {
            bits(target).put(0, bits);
            return;
        }
        try (INDArray source = fromBf16Bits(bits, target.shape())) {
            target.assign(source);
        }
    }

    /** The raw 16-bit values of a dense c-order bf16 array: a view of its buffer. */
    static ShortBuffer bits(INDArray bf16) {
        return bf16.data().asNio().order(ByteOrder.nativeOrder()).asShortBuffer();
    }
}
