package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.grpo.GrpoBatch;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoGradient;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.ScoredRollouts;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.executor.task.TaskStep;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.data.Problem;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The whole update path points uphill: on a trained model's real rollouts, the rewards belong to
 * the completions they were computed from, and one AdamW step with the reduced gradient raises
 * the log-likelihood of above-average completions against below-average ones,
 * {@code sum_i A_i (l_i' - l_i) > 0} (first order: the update is {@code lr} times a positive
 * diagonal rescaling of {@code sum_i A_i grad l_i}). The unit tests check each piece (loss,
 * gradient, optimizer) alone; this one fails if the pieces are joined with a wrong sign or a
 * misaligned index, which would let training drift at random.
 */
class GrpoUpdateDirectionTest {

    @Test
    void oneUpdateRaisesTheLikelihoodOfCompletionsWithPositiveAdvantage() throws Exception {
        Path dir = new Path(EasyTaskModel.directory());
        try (EmbeddedData data = new EmbeddedData(EasyTaskModel.DIFFICULTY, 0, 8);
             LlamaWeights policy = ModelDirectory.load(HadoopFiles.fileSystem(dir, new Configuration()), dir,
                     DataType.FLOAT).weights()) {
            List<Problem> problems = new ArrayList<>();
            for (int i = 0; i < 8; i++) problems.add(data.train.get(i));
            int stop = data.encoder.stopToken();
            GrpoConfig grpo = GrpoConfig.defaults();
            RolloutScoring scoring = new RolloutScoring(grpo, SaliencyConfig.defaults(), false,
                    new SamplingParams(1.0, 1.0, 0, 24, new int[] {stop}), 64, 1);
            LlamaModel model = new LlamaModel(policy);
            TaskStep.Prepared prepared = TaskStep.prepare(model, null, null, data.tokenizer, stop, scoring, problems, 3, 0);
            ScoredRollouts scored = prepared.scored();

            int g = grpo.groupSize(), positive = 0, negative = 0;
            double[] r = scored.rewards();
            for (int i = 0; i < scored.completions().size(); i++) {
                String text = data.tokenizer.decode(Rollouts.withoutStop(scored.completions().get(i), stop));
                boolean correct = problems.get(i / g).verify(text).correct();
                assertEquals(correct ? 1.0 : 0.0, scored.rewards()[i], "reward of completion " + i + " (" + text + ")");
                double a = scored.advantages().value(i), groupMean = 0;
                for (int j = i / g * g; j < i / g * g + g; j++) groupMean += r[j] / g;
                assertEquals(Math.signum(r[i] - groupMean), Math.signum(a), "advantage of completion " + i);
                positive += a > 0 ? 1 : 0;
                negative += a < 0 ? 1 : 0;
            }
            assertTrue(positive > 0 && negative > 0, "the fixture must give groups with reward variance");

            double[] before = completionLogLikelihoods(model, scored.batch());
            TaskResult result = TaskStep.gradient(model, grpo, prepared, true);
            NormalisedGradient gradient = TaskResult.sum(List.of(result)).gradient().normalise();
            AdamW adam = new AdamW(AdamW.Config.defaults(), policy.named());
            java.util.Map<String, INDArray> arrays = gradient.toArrays(DataType.FLOAT);
            adam.step(arrays, 1e-4);
            arrays.values().forEach(INDArray::close);
            double[] after = completionLogLikelihoods(model, scored.batch());

            double uphill = 0;
            for (int i = 0; i < before.length; i++) uphill += scored.advantages().value(i) * (after[i] - before[i]);
            assertTrue(uphill > 0, "sum_i A_i * (change in log-likelihood of completion i) = " + uphill
                    + " after one update; it must be positive");
        }
    }

    private static double[] completionLogLikelihoods(LlamaModel model, GrpoBatch batch) {
        double[] perCell = GrpoGradient.logProbs(model, batch);
        double[] out = new double[batch.completions()];
        for (int i = 0; i < out.length; i++) {
            for (double v : batch.completionValues(perCell, i)) out[i] += v;
        }
        return out;
    }
}
