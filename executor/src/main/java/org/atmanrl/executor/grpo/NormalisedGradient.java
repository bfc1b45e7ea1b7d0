package org.atmanrl.executor.grpo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atmanrl.executor.collective.Shards;
import org.atmanrl.model.NamedArrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A step's mean gradient ({@link GradientContribution#normalise()}): the gradient of the aggregated
 * GRPO loss with respect to every parameter, in checkpoint order, with the merged sums for the loss
 * and the metrics. The gradient arrays are mutable so that clipping can scale them in place.
 */
public final class NormalisedGradient {
    private final NamedArrays mean;
    private final float[][] gradients;
    private final GrpoSums sums;

    NormalisedGradient(NamedArrays mean, GrpoSums sums) {
        this.mean = mean;
        this.sums = sums;
        this.gradients = new float[mean.size()][];
        for (int i = 0; i < gradients.length; i++) gradients[i] = mean.values(i);
    }

    public List<String> names() { return mean.names(); }
    public long[] shape(int tensor) { return mean.shape(tensor); }
    /**
     * One row-major array per tensor, in {@link #names()} order: the live arrays of the mean
     * gradient, which clipping scales in place (the one owner that writes into a {@link NamedArrays}).
     */
    public float[][] gradients() { return gradients; }
    public GrpoSums sums() { return sums; }

    /**
     * {@code Σ g²} over every tensor, in the form barrier mode computes it (docs/design.md 3.5):
     * the tensors split into {@code shards} shards of whole tensors ({@link Shards}), each shard's
     * sum in double in tensor and element order, the shards' sums added in shard order. Sync mode
     * passes its partition count, so that both modes clip by the same bits at the same P.
     */
    public double sumOfSquares(int shards) {
        return Shards.split(mean, shards).sumOfSquares(mean);
    }
    /** The aggregated loss {@code Σ f·ℓ / Z}. */
    public double loss() { return sums.meanLoss(); }

    /** The gradients as new arrays of {@code dataType}, keyed by tensor name in checkpoint order. */
    public Map<String, INDArray> toArrays(DataType dataType) {
        return mean.toArrays(dataType);
    }

    /**
     * The step's metrics under TRL's names: {@code loss}, {@code clip_ratio/low_mean},
     * {@code clip_ratio/high_mean}, {@code clip_ratio/region_mean}, {@code kl} (mean k3 per token,
     * only when it was computed), {@code frac_reward_zero_std}, plus {@code ratio_mean},
     * {@code completion_length/mean}, {@code tokens}, {@code completions}, {@code groups_dropped}.
     */
    public Map<String, Double> metrics(boolean withKl) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss());
        m.put("ratio_mean", sums.meanRatio());
        m.put("clip_ratio/low_mean", sums.lowClipFraction());
        m.put("clip_ratio/high_mean", sums.highClipFraction());
        m.put("clip_ratio/region_mean", sums.clipFraction());
        if (withKl) m.put("kl", sums.meanK3());
        m.put("frac_reward_zero_std", sums.zeroVarianceFraction());
        m.put("completion_length/mean", (double) sums.tokens() / sums.completions());
        m.put("tokens", (double) sums.tokens());
        m.put("completions", (double) sums.completions());
        m.put("groups_dropped", (double) sums.droppedGroups());
        return m;
    }
}
