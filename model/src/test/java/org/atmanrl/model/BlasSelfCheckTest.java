package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The startup GEMM check (docs/design.md 6.1): it passes this machine's BLAS and catches a wrong product. */
class BlasSelfCheckTest {
    @Test
    void thisMachinesBlasPasses() {
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double worst = BlasSelfCheck.worstError(t, INDArray::mmul);
            assertTrue(worst <= BlasSelfCheck.TOLERANCE, t + ": worst " + worst);
            assertTrue(worst > 0 || t == DataType.DOUBLE, "float rounding shows: the check compares real numbers");
        }
        BlasSelfCheck.requireCorrect();
    }

    /** One wrong entry, a wrong edge column (a kernel's tail), a NaN: each is caught. */
    @Test
    void aCorruptedProductFails() {
        assertTrue(BlasSelfCheck.worstError(DataType.FLOAT, (a, b) -> {
            INDArray c = a.mmul(b);
            c.putScalar(new long[] {BlasSelfCheck.M - 1, BlasSelfCheck.N - 1}, c.getDouble(BlasSelfCheck.M - 1,
                    BlasSelfCheck.N - 1) + 0.01);
            return c;
        }) > BlasSelfCheck.TOLERANCE);
        assertTrue(BlasSelfCheck.worstError(DataType.FLOAT, (a, b) -> {
            INDArray c = a.mmul(b);
            c.getColumn(BlasSelfCheck.N - 1).assign(0);
            return c;
        }) > BlasSelfCheck.TOLERANCE);
        double nan = BlasSelfCheck.worstError(DataType.DOUBLE, (a, b) -> {
            INDArray c = a.mmul(b);
            c.putScalar(0, 0, Double.NaN);
            return c;
        });
        assertFalse(nan <= BlasSelfCheck.TOLERANCE, "a NaN entry fails the check");
    }

    @Test
    void theFailureIsOneLineNamingTheFix() {
        String m = assertThrows(BlasSelfCheck.WrongProductException.class, () -> {
            throw BlasSelfCheckTest.wrong();
        }).getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains("set OPENBLAS_CORETYPE"), m);
        assertTrue(m.contains("[37, 131] x [131, 67] float"), m);
    }

    static BlasSelfCheck.WrongProductException wrong() {
        return BlasSelfCheck.wrongFor(DataType.FLOAT, 0.5);
    }
}
