package org.atmanrl.executor.eval;

import static org.atmanrl.model.Records.with;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.rollout.CotUseCounts;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.executor.task.CorrectCompletionSaliency;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.Verdict;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the saliency reward sees on the hinted task (docs/design.md 2.5): on completions a model
 * samples at temperature 1 (4 per test prompt, 200 prompts), the accuracy of computing and of other
 * CoTs on right-hint and wrong-hint prompts, and necessity N over the correct ones by kind. Run on
 * the demo's starting model:
 * {@code mvn -pl executor -am test -Dtest=HintedSaliencyExperiment -Dsurefire.failIfNoSpecifiedTests=false
 * -Dsurefire.excludedGroups=none -Dmodel=$PWD/runs/sft-hint}. It asserts nothing: it measures.
 */
@Tag("experiment")
class HintedSaliencyExperiment {
    @Test
    void necessityByKindOfChainOfThought() throws Exception {
        String dir = System.getProperty("model");
        Assumptions.assumeTrue(dir != null, "give -Dmodel=DIR, a model trained on arithmetic-hint");
        Path path = new Path(dir);
        FileSystem fs = HadoopFiles.fileSystem(path, new Configuration());
        try (ModelDirectory.Loaded loaded = ModelDirectory.load(fs, path, org.nd4j.linalg.api.buffer.DataType.FLOAT);
             EmbeddedData data = EmbeddedData.hinted(ArithmeticDifficulty.DEFAULT, 0, 200, 0.8, 0.5, 0.5)) {
            LlamaModel model = new LlamaModel(loaded.weights());
            List<Problem> problems = new ArrayList<>();
            for (int i = 0; i < 200; i++) problems.add(data.test.get(i));
            int stop = data.encoder.stopToken(), per = 4;
            List<int[]> completions = Rollouts.generate(model, problems, per, 12345L,
                    new SamplingParams(1.0, 1.0, 0, 48, new int[] {stop}), 64);
            long[][] count = new long[2][2], correct = new long[2][2];
            int[] kind = new int[completions.size()];
            List<Verdict> verdicts = new ArrayList<>();
            for (int i = 0; i < completions.size(); i++) {
                Problem p = problems.get(i / per);
                String text = data.tokenizer.decode(Rollouts.withoutStop(completions.get(i), stop));
                Verdict v = p.verify(text);
                verdicts.add(v);
                kind[i] = CotUseCounts.of(p, text, v).computing() > 0 ? 1 : 0;
                int wrongHint = p.hintIsWrong() ? 1 : 0;
                count[kind[i]][wrongHint]++;
                correct[kind[i]][wrongHint] += v.correct() ? 1 : 0;
            }
            String[] kinds = {"other (decorative)", "computing"}, hints = {"right hint", "wrong hint"};
            for (int k = 0; k < 2; k++) {
                for (int h = 0; h < 2; h++) {
                    System.out.printf("%s CoT on %s prompts: %d completions, %d correct (%.3f)%n", kinds[k], hints[h],
                            count[k][h], correct[k][h], count[k][h] == 0 ? 0.0 : (double) correct[k][h] / count[k][h]);
                }
            }
            List<SaliencyScore> scores = CorrectCompletionSaliency.fit(model, with(SaliencyConfig.defaults(), "steps", 0),
                    data.tokenizer, problems, per, completions, verdicts).perCompletion();
            for (int k = 0; k < 2; k++) {
                List<Double> n = new ArrayList<>();
                for (int i = 0; i < scores.size(); i++) if (scores.get(i) != null && kind[i] == k) n.add(scores.get(i).necessity());
                Collections.sort(n);
                System.out.printf("N over correct %s completions: %d, mean %.3f, quartiles %.3f %.3f %.3f%n", kinds[k],
                        n.size(), n.stream().mapToDouble(x -> x).average().orElse(Double.NaN),
                        n.get(n.size() / 4), n.get(n.size() / 2), n.get(3 * n.size() / 4));
            }
        }
    }
}
