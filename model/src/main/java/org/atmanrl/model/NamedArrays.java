package org.atmanrl.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Named tensors as plain arrays (names in a fixed order, shapes, row-major float values): what
 * crosses the wire and the checkpoint without any INDArray, so no ND4J object is ever serialized.
 * The one type for them: a policy snapshot, a task's gradient sums, a step's mean gradient, the
 * mask network's weights and gradients, and what Kryo reads and writes. {@link #plus},
 * {@link #scaled} and {@link #dividedBy} make new objects, adding element-wise in a fixed order, so
 * the same inputs in the same order give the same bytes. The arrays are never changed after
 * construction, except by the one owner that is documented to: a step's mean gradient, which
 * clipping scales in place ({@code NormalisedGradient}).
 */
public final class NamedArrays {
    private final String[] names;
    private final long[][] shapes;
    private final float[][] values;

    public NamedArrays(String[] names, long[][] shapes, float[][] values) {
        if (names.length != shapes.length || names.length != values.length) {
            throw new IllegalArgumentException(names.length + " names, " + shapes.length + " shapes, " + values.length
                    + " value arrays");
        }
        for (int i = 0; i < names.length; i++) {
            if (elements(shapes[i]) != values[i].length) {
                throw new IllegalArgumentException(names[i] + ": shape " + Arrays.toString(shapes[i]) + " but "
                        + values[i].length + " values");
            }
        }
        this.names = names;
        this.shapes = shapes;
        this.values = values;
    }

    /** A float copy of {@code named} (any data type), in its iteration order. */
    public static NamedArrays of(Map<String, INDArray> named) {
        String[] names = named.keySet().toArray(new String[0]);
        long[][] shapes = new long[names.length][];
        float[][] values = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            INDArray a = named.get(names[i]);
            shapes[i] = a.shape().clone();
            try (INDArray c = a.castTo(DataType.FLOAT).dup('c')) {
                values[i] = c.data().asFloat();
            }
        }
        return new NamedArrays(names, shapes, values);
    }

    /** Zeros of the given shapes, in the map's order. */
    public static NamedArrays zeros(Map<String, long[]> shapes) {
        String[] names = shapes.keySet().toArray(new String[0]);
        long[][] s = new long[names.length][];
        float[][] v = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            s[i] = shapes.get(names[i]).clone();
            v[i] = new float[Math.toIntExact(elements(s[i]))];
        }
        return new NamedArrays(names, s, v);
    }

    /** New arrays of {@code dtype}, keyed by name in this order; the caller closes them. */
    public Map<String, INDArray> toArrays(DataType dtype) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            INDArray a = Nd4j.create(values[i], shapes[i], 'c');
            if (dtype != DataType.FLOAT) {
                INDArray cast = a.castTo(dtype);
                a.close();
                a = cast;
            }
            m.put(names[i], a);
        }
        return m;
    }

    /** {@code this + other} element-wise, in that order; both must hold the same names and shapes. */
    public NamedArrays plus(NamedArrays other) {
        requireSameLayout(other);
        float[][] sum = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            float[] a = values[i], b = other.values[i], s = new float[a.length];
            for (int j = 0; j < s.length; j++) s[j] = a[j] + b[j];
            sum[i] = s;
        }
        return new NamedArrays(names, shapes, sum);
    }

    /** Every value times {@code factor} (computed in double, stored as float). */
    public NamedArrays scaled(double factor) {
        float[][] out = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            float[] a = values[i], s = new float[a.length];
            for (int j = 0; j < s.length; j++) s[j] = (float) (a[j] * factor);
            out[i] = s;
        }
        return new NamedArrays(names, shapes, out);
    }

    /** Every value divided by {@code divisor} (computed in double, stored as float). */
    public NamedArrays dividedBy(double divisor) {
        float[][] out = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            float[] a = values[i], s = new float[a.length];
            for (int j = 0; j < s.length; j++) s[j] = (float) (a[j] / divisor);
            out[i] = s;
        }
        return new NamedArrays(names, shapes, out);
    }

    /** The sum of squares of every value, added tensor by tensor in name order; NaN or infinite if any value is. */
    public double sumOfSquares() {
        double s = 0;
        for (float[] a : values) {
            for (float x : a) s += (double) x * x;
        }
        return s;
    }

    public void requireSameLayout(NamedArrays other) {
        if (!Arrays.equals(names, other.names) || !Arrays.deepEquals(shapes, other.shapes)) {
            throw new IllegalArgumentException("tensors " + Arrays.toString(names) + " and "
                    + Arrays.toString(other.names) + " (or their shapes) differ");
        }
    }

    public int size() { return names.length; }
    public List<String> names() { return List.of(names); }
    public String name(int i) { return names[i]; }
    public long[] shape(int i) { return shapes[i].clone(); }
    /** Tensor {@code i}'s values, row-major; the live array, not to be modified (see the class comment). */
    public float[] values(int i) { return values[i]; }

    /** The shapes by name, in order. */
    public Map<String, long[]> shapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) m.put(names[i], shapes[i].clone());
        return m;
    }

    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
