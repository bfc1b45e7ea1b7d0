package org.atmanrl.model;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import java.nio.Buffer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Row-major GEMMs on OpenBLAS (the library ND4J's CPU backend calls) over element offsets into
 * three arrays' buffers, one thread's handle: for {@link HeadProducts}' thousands of small
 * products a step, where making an ND4J view and op per product would cost more than the product.
 * Hand-written because ND4J has no call that takes a buffer and an offset.
 */
final class DirectGemm {
    /** Whether ND4J runs on its CPU backend, whose buffers are host memory and whose BLAS is OpenBLAS. */
    private static final boolean CPU_BACKEND = Nd4j.getBackend().getClass().getName().contains(".cpu.");

    private final boolean isFloat;
    private final FloatPointer fa, fb, fc;
    private final DoublePointer da, db, dc;
    private final int ldA, ldB, ldC;

    /** One thread's handle on the buffers of {@code a}, {@code b} and {@code c} ({@link #readable}). */
    DirectGemm(INDArray a, INDArray b, INDArray c) {
        isFloat = c.dataType() == DataType.FLOAT;
        fa = isFloat ? new FloatPointer(a.data().addressPointer()) : null;
        fb = isFloat ? new FloatPointer(b.data().addressPointer()) : null;
        fc = isFloat ? new FloatPointer(c.data().addressPointer()) : null;
        da = isFloat ? null : new DoublePointer(a.data().addressPointer());
        db = isFloat ? null : new DoublePointer(b.data().addressPointer());
        dc = isFloat ? null : new DoublePointer(c.data().addressPointer());
        ldA = (int) a.stride(2);
        ldB = (int) b.stride(2);
        ldC = (int) c.stride(2);
    }

    /**
     * Whether the three can be multiplied here: the CPU backend, one type (float or double), rank 4
     * with unit stride along the last axis (an array's address already includes its view offset).
     */
    static boolean readable(INDArray a, INDArray b, INDArray c) {
        return CPU_BACKEND && a.dataType() == c.dataType() && b.dataType() == c.dataType()
                && rowMajor(a) && rowMajor(b) && rowMajor(c);
    }

    private static boolean rowMajor(INDArray x) {
        return x.rank() == 4 && x.stride(3) == 1 && (x.dataType() == DataType.FLOAT || x.dataType() == DataType.DOUBLE);
    }

    /** {@code C[m, n] = op(A)[m, k] op(B)[k, n]}, the matrices starting at the given element offsets. */
    void multiply(boolean transA, boolean transB, int m, int n, int k, long aAt, long bAt, long cAt) {
        int ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans;
        if (isFloat) {
            cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1f, fa.position(aAt), ldA, fb.position(bAt), ldB,
                    0f, fc.position(cAt), ldC);
        } else {
            cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1d, da.position(aAt), ldA, db.position(bAt), ldB,
                    0d, dc.position(cAt), ldC);
        }
    }

    /** {@code C[m, n] = 0} from element offset {@code cAt}. */
    void zero(long cAt, int m, int n) {
        for (int i = 0; i < m; i++) {
            long at = cAt + (long) i * ldC;
            Buffer row = isFloat ? fc.position(at).limit(at + n).asBuffer() : dc.position(at).limit(at + n).asBuffer();
            Elementwise.zero(row, 0, n);
        }
    }
}
