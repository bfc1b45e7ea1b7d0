package org.atmanrl.driver.spark;

import java.util.Map;
import org.atmanrl.driver.checkpoint.Checkpoint;
import org.atmanrl.driver.checkpoint.MaskHeadFiles;
import org.atmanrl.driver.step.HeadUpdate;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.task.MaskHeadSums;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.reward.saliency.MaskHead;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The driver's side of the mask network (docs/design.md 2.6): the head's fp32 weights and their
 * own AdamW (the policy optimizer's betas, eps and weight decay; {@code saliency.head_lr}, no
 * schedule, no clipping). Each step, the tasks' gradient sums, added in partition order, are
 * divided by the rows once and applied; a non-finite gradient skips the head's update, as it
 * skips the policy's. What the step's tasks read is the head as it was at the step's start.
 */
final class MaskHeadTraining implements AutoCloseable {
    private final MaskHead head;
    private final AdamW adam;
    private final double lr;

    private MaskHeadTraining(MaskHead head, AdamW adam, double lr) {
        this.head = head;
        this.adam = adam;
        this.lr = lr;
    }

    /** A new head for {@code model}, its query drawn from the run seed. */
    static MaskHeadTraining start(SaliencyConfig s, LlamaConfig model, long seed, AdamW.Config adam) {
        MaskHead h = MaskHead.init(model.hiddenSize(), s.headRank(), attentionFeatures(model), s.theta0(), seed,
                DataType.FLOAT);
        return new MaskHeadTraining(h, new AdamW(adam, h.named()), s.headLearningRate());
    }

    /** The head and optimizer a checkpoint holds. */
    static MaskHeadTraining restore(SaliencyConfig s, Checkpoint.MaskHeadState state, AdamW.Config adam) {
        MaskHead h = MaskHead.of(state.head().weights(), s.theta0(), DataType.FLOAT);
        AdamW a = new AdamW(adam, h.named());
        a.restore(state.optimizer());
        return new MaskHeadTraining(h, a, s.headLearningRate());
    }

    /** One attention feature per layer and head. */
    static int attentionFeatures(LlamaConfig model) {
        return model.numHiddenLayers() * model.numAttentionHeads();
    }

    PolicySnapshot snapshot(long version) {
        return PolicySnapshot.of(version, head.named());
    }

    /** What a checkpoint or the final model directory keeps. */
    Checkpoint.MaskHeadState state() {
        return new Checkpoint.MaskHeadState(files(), adam.state());
    }

    MaskHeadFiles.Head files() {
        return new MaskHeadFiles.Head(NamedArrays.of(head.named()), head.hiddenSize(), head.rank(),
                head.attentionFeatures(), head.theta0());
    }

    /** One update from a step's merged sums: skipped when there are no rows or the gradient is NaN or infinite. */
    HeadUpdate update(MaskHeadSums sums) {
        NamedArrays mean = sums == null ? null : sums.meanGradient();
        double norm = mean == null ? 0 : Math.sqrt(mean.sumOfSquares());
        boolean skip = mean == null || !Double.isFinite(norm);
        if (!skip) {
            Map<String, INDArray> g = mean.toArrays(DataType.FLOAT);
            adam.step(g, lr);
            g.values().forEach(INDArray::close);
        }
        return new HeadUpdate(sums == null ? Double.NaN : sums.meanObjective(), norm, sums == null ? 0 : sums.rows(),
                lr, skip);
    }

    @Override
    public void close() {
        head.close();
    }
}
