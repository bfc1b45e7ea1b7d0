package org.atmanrl.driver.spark;

import java.util.List;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.executor.task.TaskStep;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.saliency.MaskHead;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One partition's share of a training step, whoever runs it: a sync-mode task
 * ({@link StepTaskFunction}) or a barrier-mode rank ({@link BarrierStageFunction}), so that both
 * modes compute the same {@link TaskResult} from the same prompts and weights (docs/design.md 3.5).
 *
 * @param step 0-based training step; its updates are optimizer updates {@code step * mu + u}
 */
record PartitionStep(RolloutScoring scoring, int stopToken, long seed, long step) {
    /** Rollouts, rewards and the fixed log-probabilities of {@code problems} under the step's starting policy. */
    TaskStep.Prepared prepare(LlamaModel policy, LlamaModel referenceOrNull, PolicySnapshot headOrNull,
                              Tokenizer tokenizer, List<Problem> problems) {
        MaskHead maskHead = headOrNull == null ? null
                : MaskHead.of(headOrNull.tensors(), scoring.saliency().theta0(), DataType.FLOAT);
        try {
            // with LoRA the executor always has the base at hand; it is the reference only when beta > 0
            LlamaModel reference = scoring.grpo().needsReference() ? referenceOrNull : null;
            return TaskStep.prepare(policy, maskHead, reference, tokenizer, stopToken, scoring, problems, seed, step);
        } finally {
            if (maskHead != null) maskHead.close();
        }
    }

    /** The gradient sums of update {@code update} of the step under the current {@code policy}. */
    TaskResult gradient(LlamaModel policy, TaskStep.Prepared prepared, int update) {
        // LoRA dropout's draws: keyed by the run seed and the optimizer update, then each row's stable key
        long dropoutSeed = TaskStep.dropoutSeed(seed, step * scoring.grpo().mu() + update);
        return TaskStep.gradient(policy, scoring.grpo(), prepared, update == 0, dropoutSeed);
    }
}
