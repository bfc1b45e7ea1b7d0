package org.atmanrl.executor.saliency;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.reward.saliency.AtmanPerturbation;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.saliency.MaskFitter;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The saliency of docs/design.md 2.2 on a model that has learned the embedded task and its
 * CoT-ignored control (one SFT run on a mix, checked in: {@link SaliencyFixture}): the fitted masks
 * must single out the intermediate result the answer copies (ROC AUC >= 0.85 over at least 30
 * correct completions), and r_sal on the control, whose answer does not read its CoT, must stay at
 * most a quarter of the real task's.
 *
 * <p>The mask fit runs with K = 16 Adam steps at lr 1.5 (floor {@code sigmoid(-24)}), not
 * the defaults' K = 8, lr 0.5 (floor 0.018; docs/design.md 2.2, "Where the defaults are weak"): on
 * this model the defaults measure AUC 0.72 and a real/control ratio of 1.8, because uniform
 * suppression to 0.018 still leaves the copied digits their answer; the masks only separate far
 * below that floor. {@code SaliencySweepExperiment} holds the measurements of both and of the
 * settings between (docs/measurements.md, "Saliency on a trained model").
 *
 * <p>Tagged "experiment", out of {@code mvn test}, which its greedy generation and mask fits
 * would lengthen by about a minute; CI runs it as a step of its own ({@code .ci/run}). Run it
 * with {@code mvn -pl executor -am test -Dtest=SaliencyOnTrainedModelTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dsurefire.excludedGroups=none}; add
 * {@code -Dsaliency.fixture=DIR} to run it on another model directory. The fixture is not trained
 * here (that took 10-30 minutes, two thirds of CI): it is checked in with the command that made
 * it, and docs/fixtures.md says how to regenerate and check it.
 */
@Tag("experiment")
class SaliencyOnTrainedModelTest {
    static final int PROMPTS = 120;
    static EmbeddedData data;
    static LlamaWeights weights;

    @BeforeAll
    static void trainedModel() throws Exception {
        data = new EmbeddedData(ArithmeticDifficulty.DEFAULT, 0, 500);
        weights = SaliencyFixture.load();
    }

    @AfterAll
    static void free() {
        if (weights != null) weights.close();
        if (data != null) data.close();
    }

    /** Correct greedy completions of the first prompts of a test set, as full sequences with spans. */
    record Correct(List<int[]> sequences, List<CompletionSpans> spans, List<String> cots) {
    }

    static Correct correctCompletions(LlamaModel model, ProblemSet set) {
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) problems.add(set.get(i));
        int stop = data.encoder.stopToken();
        List<int[]> completions = Rollouts.generate(model, problems, 1, 0, SamplingParams.greedy(48, stop), 256);
        Correct c = new Correct(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < problems.size(); i++) {
            Problem p = problems.get(i);
            int[] comp = completions.get(i);
            String text = data.tokenizer.decode(Rollouts.withoutStop(comp, stop));
            if (!p.verify(text).correct()) continue;
            Optional<CompletionSpans> s = CompletionSpans.locate(data.tokenizer, p.promptLength(), comp, p.delimiter());
            if (s.isEmpty()) continue;
            int[] seq = Arrays.copyOf(p.promptIds(), p.promptLength() + comp.length);
            System.arraycopy(comp, 0, seq, p.promptLength(), comp.length);
            c.sequences().add(seq);
            c.spans().add(s.get());
            c.cots().add(data.tokenizer.decode(Arrays.copyOfRange(seq, s.get().cotStart(), s.get().cotEnd())));
        }
        return c;
    }

    /** The CoT characters the answer copies: the last equation's result (one token per character). */
    static boolean[] copiedResult(String cot) {
        boolean[] pos = new boolean[cot.length()];
        int eq = cot.lastIndexOf('=');
        for (int j = eq + 1; j < cot.length(); j++) pos[j] = cot.charAt(j) != ' ';
        return pos;
    }

    @Test
    void masksFindTheCopiedResultAndTheControlEarnsLittle() {
        LlamaModel model = new LlamaModel(weights);
        SaliencyConfig config = with(SaliencyConfig.defaults(), "steps", 16, "learningRate", 1.5);
        Correct real = correctCompletions(model, data.test);
        Correct control = correctCompletions(model, data.controlTest);
        System.out.printf("correct greedy completions: real %d/%d, control %d/%d%n", real.sequences().size(), PROMPTS,
                control.sequences().size(), PROMPTS);
        assertTrue(real.sequences().size() >= 30, "need >= 30 correct real completions, got " + real.sequences().size());
        assertTrue(control.sequences().size() >= 30, "need >= 30 correct control completions, got " + control.sequences().size());

        List<SaliencyScore> realScores = new MaskFitter(model, config).score(real.sequences(), real.spans()).scores();
        List<SaliencyScore> controlScores = new MaskFitter(model, config).score(control.sequences(), control.spans()).scores();

        List<Double> pos = new ArrayList<>(), neg = new ArrayList<>();
        List<Double> all = new ArrayList<>();
        for (int i = 0; i < realScores.size(); i++) {
            double[] m = realScores.get(i).mask();
            boolean[] copied = copiedResult(real.cots().get(i));
            for (int j = 0; j < m.length; j++) {
                (copied[j] ? pos : neg).add(m[j]);
                all.add(m[j]);
            }
        }
        double auc = RocAuc.auc(pos, neg);
        double realSal = realScores.stream().mapToDouble(SaliencyScore::reward).average().orElse(0);
        double controlSal = controlScores.stream().mapToDouble(SaliencyScore::reward).average().orElse(0);
        double[] sorted = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf("ROC AUC of m* for the copied result vs the other CoT tokens: %.3f (%d vs %d tokens)%n",
                auc, pos.size(), neg.size());
        System.out.printf("m* quantiles 10/25/50/75/90%%: %.3f %.3f %.3f %.3f %.3f; mean on the copied result %.3f,"
                        + " elsewhere %.3f%n", q(sorted, .1), q(sorted, .25), q(sorted, .5), q(sorted, .75), q(sorted, .9),
                pos.stream().mapToDouble(d -> d).average().orElse(0), neg.stream().mapToDouble(d -> d).average().orElse(0));
        System.out.printf("mean r_sal: real %.4f (N %.3f, C %.3f), control %.4f (N %.3f, C %.3f): ratio %.1f%n",
                realSal, mean(realScores, SaliencyScore::necessity), mean(realScores, SaliencyScore::coverage),
                controlSal, mean(controlScores, SaliencyScore::necessity), mean(controlScores, SaliencyScore::coverage),
                realSal / Math.max(1e-12, controlSal));

        List<double[]> drops = AtmanPerturbation.drops(model, real.sequences(), real.spans(), config.perturbationFactor(), 256);
        double rho = 0;
        for (int i = 0; i < drops.size(); i++) rho += RocAuc.spearman(realScores.get(i).mask(), drops.get(i));
        System.out.printf("mean Spearman correlation of m* with the exhaustive AtMan drops: %.3f%n", rho / drops.size());

        assertTrue(auc >= 0.85, "ROC AUC " + auc + " < 0.85");
        assertTrue(controlSal <= 0.25 * realSal, "control r_sal " + controlSal + " > a quarter of the real task's " + realSal);
    }

    private static double q(double[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    private static double mean(List<SaliencyScore> s, java.util.function.ToDoubleFunction<SaliencyScore> f) {
        return s.stream().mapToDouble(f).average().orElse(0);
    }
}
