package org.atmanrl.executor.grpo;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One Spark task's additive share of a GRPO step, in the manner of an MLlib aggregator: the
 * gradient <em>sums</em> {@code ∇ Σ_i f_i Σ_t ℓ_{i,t}} of every parameter, and the matching
 * {@link GrpoSums} (loss sum, normaliser contribution, counts, metric sums). The driver
 * {@linkplain #merge merges} partitions in partition order and {@linkplain #normalise normalises}
 * once.
 *
 * <p>Layout, chosen to serialise compactly with Kryo or Java serialization: the tensor names in
 * the model's checkpoint order ({@link LlamaWeights#named()}, a tied head once, as the embedding),
 * their shapes, one plain row-major {@code float[]} per tensor, the scalars, and the aggregation
 * the sums were made for (merging sums of different aggregations is refused). Immutable: merging
 * makes a new object.
 *
 * <p>Determinism: {@code a.merge(b)} adds element-wise as {@code a + b}; folding a list with
 * {@link #sum} adds left to right, so the same partitions in the same order give the same bytes
 * whatever order they arrived in.
 */
public final class GradientContribution implements Serializable {
    private static final long serialVersionUID = 1L;

    private final GrpoConfig.Aggregation aggregation;
    private final String[] names;
    private final long[][] shapes;
    private final float[][] gradientSums;
    private final GrpoSums sums;

    public GradientContribution(GrpoConfig.Aggregation aggregation, String[] names, long[][] shapes,
                                float[][] gradientSums, GrpoSums sums) {
        if (names.length != shapes.length || names.length != gradientSums.length) {
            throw new IllegalArgumentException(names.length + " names, " + shapes.length + " shapes and "
                    + gradientSums.length + " gradient arrays must match");
        }
        for (int i = 0; i < names.length; i++) {
            long n = 1;
            for (long d : shapes[i]) n *= d;
            if (gradientSums[i].length != n) {
                throw new IllegalArgumentException(names[i] + " has shape " + Arrays.toString(shapes[i])
                        + " but " + gradientSums[i].length + " gradient values");
            }
        }
        this.aggregation = aggregation;
        this.names = names;
        this.shapes = shapes;
        this.gradientSums = gradientSums;
        this.sums = sums;
    }

    /** Nothing yet: zero gradients for every tensor of a model of {@code config}; the identity of {@link #merge}. */
    public static GradientContribution empty(GrpoConfig.Aggregation aggregation, LlamaConfig config) {
        Map<String, long[]> s = LlamaWeights.shapes(config);
        String[] names = s.keySet().toArray(new String[0]);
        long[][] shapes = new long[names.length][];
        float[][] g = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            shapes[i] = s.get(names[i]).clone();
            long n = 1;
            for (long d : shapes[i]) n *= d;
            g[i] = new float[Math.toIntExact(n)];
        }
        return new GradientContribution(aggregation, names, shapes, g, GrpoSums.zero());
    }

    /** From the gradient sums that {@code backward} returned (any data type; stored as float). */
    public static GradientContribution of(GrpoConfig.Aggregation aggregation, LlamaWeights gradients, GrpoSums sums) {
        Map<String, INDArray> named = gradients.named();
        String[] names = named.keySet().toArray(new String[0]);
        long[][] shapes = new long[names.length][];
        float[][] g = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            INDArray a = named.get(names[i]);
            shapes[i] = a.shape().clone();
            g[i] = toFloats(a);
        }
        return new GradientContribution(aggregation, names, shapes, g, sums);
    }

    /** {@code this + other}, element-wise in that order; both must be for the same model and aggregation. */
    public GradientContribution merge(GradientContribution other) {
        if (aggregation != other.aggregation) {
            throw new IllegalArgumentException("cannot merge " + aggregation.configName() + " sums with "
                    + other.aggregation.configName() + " sums");
        }
        if (!Arrays.equals(names, other.names) || !Arrays.deepEquals(shapes, other.shapes)) {
            throw new IllegalArgumentException("cannot merge gradients of different models: tensors "
                    + Arrays.toString(names) + " against " + Arrays.toString(other.names));
        }
        float[][] g = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            float[] a = gradientSums[i], b = other.gradientSums[i];
            float[] s = new float[a.length];
            for (int j = 0; j < s.length; j++) s[j] = a[j] + b[j];
            g[i] = s;
        }
        return new GradientContribution(aggregation, names, shapes, g, sums.plus(other.sums));
    }

    /** {@code ((p0 + p1) + p2) + ...}: the partitions in the given (partition) order. */
    public static GradientContribution sum(List<GradientContribution> partitions) {
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("no partitions to sum");
        }
        GradientContribution acc = partitions.get(0);
        for (int i = 1; i < partitions.size(); i++) acc = acc.merge(partitions.get(i));
        return acc;
    }

    /**
     * The driver's one division: every gradient sum and the loss sum divided by
     * {@link GrpoSums#divisor()} (the merged normaliser {@code Z}). Only meaningful on the sum of
     * all partitions of a step.
     */
    public NormalisedGradient normalise() {
        double z = sums.divisor();
        float[][] mean = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            float[] s = gradientSums[i];
            float[] m = new float[s.length];
            for (int j = 0; j < s.length; j++) m[j] = (float) (s[j] / z);
            mean[i] = m;
        }
        return new NormalisedGradient(names.clone(), deepClone(shapes), mean, sums);
    }

    public GrpoConfig.Aggregation aggregation() { return aggregation; }
    public List<String> names() { return List.of(names); }
    public long[] shape(int tensor) { return shapes[tensor].clone(); }
    /** Tensor {@code i}'s gradient sum, row-major; the live array, not to be modified. */
    public float[] gradientSum(int tensor) { return gradientSums[tensor]; }
    public GrpoSums sums() { return sums; }

    /** Row-major float copy of {@code a}; temporaries freed at once (ND4J frees off-heap memory late). */
    static float[] toFloats(INDArray a) {
        INDArray cast = a.castTo(DataType.FLOAT);
        INDArray c = cast.dup('c');
        float[] v = c.data().asFloat();
        c.close();
        if (cast != a) cast.close();
        if (v.length != a.length()) {
            throw new IllegalStateException("expected " + a.length() + " values, got " + v.length);
        }
        return v;
    }

    private static long[][] deepClone(long[][] a) {
        long[][] c = new long[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }
}
