package org.atmanrl.executor.grpo;

import java.util.List;
import java.util.Map;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.NamedArrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One Spark task's additive share of a GRPO step, in the manner of an MLlib aggregator: the
 * gradient <em>sums</em> {@code ∇ Σ_i f_i Σ_t ℓ_{i,t}} of every parameter, and the matching
 * {@link GrpoSums} (loss sum, normaliser contribution, counts, metric sums). The driver
 * {@linkplain #merge merges} partitions in partition order and {@linkplain #normalise normalises}
 * once.
 *
 * <p>Layout, plain arrays that Kryo writes compactly: the gradient sums as {@link NamedArrays} in
 * the model's checkpoint order ({@link LlamaWeights#named()}, a tied head once, as the embedding),
 * the scalars, and the aggregation the sums were made for (merging sums of different aggregations
 * is refused). Immutable: merging makes a new object.
 *
 * <p>Determinism: {@code a.merge(b)} adds element-wise as {@code a + b}; folding a list with
 * {@link #sum} adds left to right, so the same partitions in the same order give the same bytes
 * whatever order they arrived in.
 */
public final class GradientContribution {
    private final GrpoConfig.Aggregation aggregation;
    private final NamedArrays gradientSums;
    private final GrpoSums sums;

    public GradientContribution(GrpoConfig.Aggregation aggregation, NamedArrays gradientSums, GrpoSums sums) {
        this.aggregation = aggregation;
        this.gradientSums = gradientSums;
        this.sums = sums;
    }

    /** Nothing yet: zero gradients for every tensor of a model of {@code config}; the identity of {@link #merge}. */
    public static GradientContribution empty(GrpoConfig.Aggregation aggregation, LlamaConfig config) {
        return empty(aggregation, LlamaWeights.shapes(config));
    }

    /** Zero gradients for the tensors that train ({@code shapes}, the model's or its adapters', docs/design.md 3.4). */
    public static GradientContribution empty(GrpoConfig.Aggregation aggregation, Map<String, long[]> shapes) {
        return new GradientContribution(aggregation, NamedArrays.zeros(shapes), GrpoSums.zero());
    }

    /** From the gradient sums that {@code backward} returned (any data type; stored as float). */
    public static GradientContribution of(GrpoConfig.Aggregation aggregation, LlamaWeights gradients, GrpoSums sums) {
        return of(aggregation, gradients.named(), sums);
    }

    /** From named gradient sums in checkpoint order: the model's, or its adapters' (any data type; stored as float). */
    public static GradientContribution of(GrpoConfig.Aggregation aggregation, Map<String, INDArray> gradients,
                                          GrpoSums sums) {
        return new GradientContribution(aggregation, NamedArrays.of(gradients), sums);
    }

    /** {@code this + other}, element-wise in that order; both must be for the same model and aggregation. */
    public GradientContribution merge(GradientContribution other) {
        if (aggregation != other.aggregation) {
            throw new IllegalArgumentException("cannot merge " + aggregation.configName() + " sums with "
                    + other.aggregation.configName() + " sums");
        }
        NamedArrays merged;
        try {
            merged = gradientSums.plus(other.gradientSums);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot merge gradients of different models: " + e.getMessage());
        }
        return new GradientContribution(aggregation, merged, sums.plus(other.sums));
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
        return new NormalisedGradient(gradientSums.dividedBy(sums.divisor()), sums);
    }

    public GrpoConfig.Aggregation aggregation() { return aggregation; }
    /** The gradient sums by tensor, in checkpoint order. */
    public NamedArrays gradientSums() { return gradientSums; }
    public List<String> names() { return gradientSums.names(); }
    public long[] shape(int tensor) { return gradientSums.shape(tensor); }
    /** Tensor {@code i}'s gradient sum, row-major; the live array, not to be modified. */
    public float[] gradientSum(int tensor) { return gradientSums.values(tensor); }
    public GrpoSums sums() { return sums; }
}
