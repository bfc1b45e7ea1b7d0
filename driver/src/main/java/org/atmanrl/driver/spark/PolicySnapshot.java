package org.atmanrl.driver.spark;

import java.util.Arrays;
import java.util.Map;
import org.atmanrl.model.LlamaWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The policy as the driver broadcasts it each step: plain arrays (tensor names in checkpoint
 * order, shapes, row-major float values) and a version (the step whose rollouts it generates), so
 * no INDArray ever goes through Kryo. Executors {@linkplain #copyInto copy} it into the arrays of
 * the model they keep between steps.
 */
public final class PolicySnapshot {
    private final long version;
    private final String[] names;
    private final long[][] shapes;
    private final float[][] values;

    PolicySnapshot(long version, String[] names, long[][] shapes, float[][] values) {
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
        this.version = version;
        this.names = names;
        this.shapes = shapes;
        this.values = values;
    }

    /** A copy of {@code weights} (any data type, stored as float). */
    public static PolicySnapshot of(long version, LlamaWeights weights) {
        Map<String, INDArray> named = weights.named();
        String[] names = named.keySet().toArray(new String[0]);
        long[][] shapes = new long[names.length][];
        float[][] values = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            INDArray a = named.get(names[i]);
            shapes[i] = a.shape().clone();
            INDArray c = a.castTo(DataType.FLOAT).dup('c');
            values[i] = c.data().asFloat();
            c.close();
        }
        return new PolicySnapshot(version, names, shapes, values);
    }

    /** Overwrites the tensors of {@code weights} (same model, same names and shapes) with this snapshot's values. */
    public void copyInto(LlamaWeights weights) {
        Map<String, INDArray> named = weights.named();
        if (!Arrays.equals(named.keySet().toArray(new String[0]), names)) {
            throw new IllegalArgumentException("snapshot tensors " + Arrays.toString(names) + " do not match the model's "
                    + named.keySet());
        }
        for (int i = 0; i < names.length; i++) {
            INDArray target = named.get(names[i]);
            if (!Arrays.equals(target.shape(), shapes[i])) {
                throw new IllegalArgumentException(names[i] + ": snapshot shape " + Arrays.toString(shapes[i])
                        + ", model shape " + Arrays.toString(target.shape()));
            }
            try (INDArray source = Nd4j.create(values[i], shapes[i], 'c')) {
                target.assign(source.castTo(target.dataType()));
            }
        }
    }

    /** A new model of {@code config} holding this snapshot's values, as {@code dtype}. */
    public LlamaWeights toWeights(org.atmanrl.model.LlamaConfig config, DataType dtype) {
        Map<String, INDArray> named = new java.util.LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            INDArray a = Nd4j.create(values[i], shapes[i], 'c');
            named.put(names[i], dtype == DataType.FLOAT ? a : a.castTo(dtype));
        }
        return LlamaWeights.fromNamed(config, named);
    }

    public long version() { return version; }
    int tensors() { return names.length; }
    String name(int i) { return names[i]; }
    long[] shape(int i) { return shapes[i]; }
    float[] values(int i) { return values[i]; }

    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
