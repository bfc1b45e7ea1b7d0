package org.atmanrl.model;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One pass over arrays of the same length, element by element, computed in double and split into
 * contiguous ranges over the cores ({@link CoreRanges}): for a chain of element-wise steps that
 * ND4J would run as one op (and one pass over memory) each (docs/design.md 6.1, "Element-wise
 * loops"). Every element is computed alone, so the bits do not depend on how the ranges fall.
 * Hand-written because ND4J has no fused element-wise op one can compose from Java.
 */
final class Elementwise {
    /** Elements a thread moves between the buffers and its double arrays at a time. */
    private static final int BLOCK = 2048;
    /** What {@link #zero} copies from; never written. */
    private static final double[] ZEROS = new double[BLOCK];
    private static final float[] FLOAT_ZEROS = new float[BLOCK];

    /** The step: {@code out[o][i]} from {@code in[..][i]} for {@code i < n}. */
    @FunctionalInterface
    interface Kernel {
        void apply(double[][] in, double[][] out, int n);
    }

    private Elementwise() {}

    /**
     * Runs {@code kernel} over every element of {@code inputs} into {@code outputs}: all of one
     * length, float or double, {@link Arrays2#flatFromStart}.
     */
    static void map(INDArray[] inputs, INDArray[] outputs, Kernel kernel) {
        long length = outputs[0].length();
        for (INDArray a : concat(inputs, outputs)) {
            if (a.length() != length || !Arrays2.flatFromStart(a)) {
                throw new IllegalArgumentException("element-wise pass needs flat arrays of " + length
                        + " elements, got " + a.shapeInfoToString().replace('\n', ' '));
            }
            if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
                throw new IllegalArgumentException("element-wise pass computes in float or double, not " + a.dataType());
            }
        }
        int n = Math.toIntExact(length);
        CoreRanges.run(n, BLOCK, (from, to) -> {
            // one view of each buffer per range: making one costs microseconds, a block's pass about as much
            Buffer[] ins = new Buffer[inputs.length], outs = new Buffer[outputs.length];
            Arrays.setAll(ins, i -> view(inputs[i]));
            Arrays.setAll(outs, o -> view(outputs[o]));
            double[][] in = new double[inputs.length][BLOCK], out = new double[outputs.length][BLOCK];
            float[] floats = new float[BLOCK];
            for (int at = from; at < to; at += BLOCK) {
                int len = Math.min(BLOCK, to - at);
                for (int i = 0; i < ins.length; i++) read(ins[i], at, in[i], 0, len, floats);
                kernel.apply(in, out, len);
                for (int o = 0; o < outs.length; o++) write(outs[o], at, out[o], 0, len, floats);
            }
        });
    }

    /** A thread's view of a float or double array's buffer, for {@link #read} and {@link #write}. */
    static Buffer view(INDArray a) {
        return a.dataType() == DataType.FLOAT ? a.data().asNioFloat() : a.data().asNioDouble();
    }

    /** {@code into[intoAt, intoAt + len)} := the buffer's {@code [at, at + len)}; {@code floats} holds at least {@code len}. */
    static void read(Buffer b, int at, double[] into, int intoAt, int len, float[] floats) {
        if (b instanceof FloatBuffer fb) {
            fb.get(at, floats, 0, len);
            for (int i = 0; i < len; i++) into[intoAt + i] = floats[i];
        } else {
            ((DoubleBuffer) b).get(at, into, intoAt, len);
        }
    }

    /** The buffer's {@code [at, at + len)} := {@code from[fromAt, fromAt + len)}, rounded to float for a float buffer. */
    static void write(Buffer b, int at, double[] from, int fromAt, int len, float[] floats) {
        if (b instanceof FloatBuffer fb) {
            for (int i = 0; i < len; i++) floats[i] = (float) from[fromAt + i];
            fb.put(at, floats, 0, len);
        } else {
            ((DoubleBuffer) b).put(at, from, fromAt, len);
        }
    }

    /** The buffer's {@code [at, at + len)} := 0. */
    static void zero(Buffer b, int at, int len) {
        for (int done = 0; done < len; done += ZEROS.length) {
            int part = Math.min(ZEROS.length, len - done);
            if (b instanceof FloatBuffer fb) {
                fb.put(at + done, FLOAT_ZEROS, 0, part);
            } else {
                ((DoubleBuffer) b).put(at + done, ZEROS, 0, part);
            }
        }
    }

    private static INDArray[] concat(INDArray[] a, INDArray[] b) {
        INDArray[] all = new INDArray[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
