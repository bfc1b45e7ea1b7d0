package org.atmanrl.executor.grpo;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.atmanrl.executor.grpo.GrpoConfig.Aggregation;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The whole task path (forward, per-token terms, cell weights, backward, float gradient sums,
 * normalisation) against finite differences of the aggregated GRPO loss, in double precision, for
 * every aggregation, with clipped and unclipped tokens and a KL term. Old and reference
 * log-probabilities are fixed arrays (perturbations of the initial policy's), ρ is kept at least
 * {@link #MARGIN} away from the clip bounds so that no perturbation crosses one.
 *
 * <p>The numeric derivative is the fourth-order stencil of the model's own gradient check, with
 * its error measure: relative error {@code |a − n| / max(|a|, |n|)}, or an absolute tolerance
 * where both are below {@link #FLOOR}.
 */
class GrpoGradientCheckTest {
    static final double H = 1e-4;
    static final double FLOOR = 1e-6;
    static final double ABS_TOLERANCE = 1e-10;
    static final double MAX_RELATIVE_ERROR = 1e-5;
    static final double MARGIN = 0.02;

    @Test
    void grpoLossGradientMatchesFiniteDifferences() {
        for (LlamaConfig c : List.of(TinyModels.gqaUntiedScaled(0.3), TinyModels.mqaTied(0.3))) {
            for (Aggregation agg : Aggregation.values()) {
                check(c, agg);
            }
        }
    }

    private void check(LlamaConfig c, Aggregation agg) {
        GrpoConfig config = with(GrpoConfig.defaults(), "groupSize", 2, "beta", 0.05, "maxCompletionLength", 6,
                "aggregation", agg, "epsilonHigh", 0.28);
        LlamaWeights w = TinyModels.weights(c, 21, DataType.DOUBLE);
        LlamaModel model = new LlamaModel(w);
        List<int[]> prompts = TinyModels.sequences(c.vocabSize(), 3, 3, 2, 3, 4);
        List<int[]> completions = TinyModels.sequences(c.vocabSize(), 4, 3, 5, 2, 4);
        GrpoBatch batch = GrpoBatch.of(prompts, completions);
        Advantages adv = Advantages.compute(new double[] {1, 0, 0.2, 0.9}, config);

        double[] lp0 = GrpoGradient.logProbs(model, batch);
        double[] old = lp0.clone(), ref = lp0.clone();
        SplittableRandom rng = new SplittableRandom(5);
        boolean[] mask = batch.completionMask();
        for (int i = 0; i < old.length; i++) {
            if (!mask[i]) continue;
            double shift;
            do {
                shift = rng.nextDouble(-0.45, 0.45);
            } while (Math.abs(Math.exp(-shift) - 0.8) < MARGIN || Math.abs(Math.exp(-shift) - 1.28) < MARGIN);
            old[i] += shift; // ρ = exp(lp0 − old) = exp(−shift)
            ref[i] += rng.nextDouble(-0.5, 0.5);
        }
        GrpoSums sums0 = GrpoLoss.evaluate(config, batch, lp0, old, ref, adv).sums();
        assertTrue(sums0.clippedLow() + sums0.clippedHigh() > 0 && sums0.clipFraction() < 0.8,
                "the check needs clipped and unclipped tokens: " + sums0);

        NormalisedGradient analytic = GrpoGradient.compute(model, config, batch, adv, old, ref).normalise();
        Map<String, INDArray> params = w.named();
        List<String> names = analytic.names();
        double worst = 0;
        String worstAt = "";
        for (int t = 0; t < names.size(); t++) {
            INDArray p = params.get(names.get(t));
            float[] g = analytic.gradients()[t];
            for (int e = 0; e < 2; e++) {
                long idx = (long) ((e * 0.53 + 0.11) * p.length()) % p.length();
                double a = g[(int) idx];
                double n = numeric(() -> loss(model, config, batch, old, ref, adv), p, idx);
                double err = error(a, n);
                if (err > worst) {
                    worst = err;
                    worstAt = names.get(t) + "[" + idx + "] analytic " + a + " numeric " + n;
                }
            }
        }
        // A random direction through every parameter at once.
        SplittableRandom dr = new SplittableRandom(11);
        double[][] dir = new double[names.size()][];
        double analyticDirectional = 0;
        for (int t = 0; t < names.size(); t++) {
            float[] g = analytic.gradients()[t];
            dir[t] = new double[g.length];
            for (int j = 0; j < g.length; j++) {
                dir[t][j] = dr.nextGaussian();
                analyticDirectional += g[j] * dir[t][j];
            }
        }
        double numericDirectional = directional(model, config, batch, old, ref, adv, params, names, dir);
        double dirErr = error(analyticDirectional, numericDirectional);
        System.out.printf("grpo gradient check %s %s: worst entry %.2e (%s), direction %.2e (%s vs %s)%n",
                c.numKeyValueHeads() == 1 ? "mqa" : "gqa", agg.configName(), worst, worstAt, dirErr,
                analyticDirectional, numericDirectional);
        assertTrue(worst <= MAX_RELATIVE_ERROR, agg.configName() + ": " + worstAt + " error " + worst);
        assertTrue(dirErr <= MAX_RELATIVE_ERROR, agg.configName() + ": directional " + analyticDirectional
                + " vs " + numericDirectional);
    }

    static double loss(LlamaModel model, GrpoConfig config, GrpoBatch batch, double[] old, double[] ref,
                       Advantages adv) {
        double[] lp = GrpoGradient.logProbs(model, batch);
        return GrpoLoss.evaluate(config, batch, lp, old, ref, adv).sums().meanLoss();
    }

    static double numeric(java.util.function.DoubleSupplier f, INDArray p, long idx) {
        double x = p.getDouble(idx);
        double[] v = new double[4];
        double[] steps = {2 * H, H, -H, -2 * H};
        for (int s = 0; s < 4; s++) {
            p.putScalar(idx, x + steps[s]);
            v[s] = f.getAsDouble();
        }
        p.putScalar(idx, x);
        return (-v[0] + 8 * v[1] - 8 * v[2] + v[3]) / (12 * H);
    }

    static double directional(LlamaModel model, GrpoConfig config, GrpoBatch batch, double[] old, double[] ref,
                              Advantages adv, Map<String, INDArray> params, List<String> names, double[][] dir) {
        double[] steps = {2 * H, H, -H, -2 * H};
        double[] v = new double[4];
        double applied = 0;
        for (int s = 0; s < 4; s++) {
            shift(params, names, dir, steps[s] - applied);
            applied = steps[s];
            v[s] = loss(model, config, batch, old, ref, adv);
        }
        shift(params, names, dir, -applied);
        return (-v[0] + 8 * v[1] - 8 * v[2] + v[3]) / (12 * H);
    }

    private static void shift(Map<String, INDArray> params, List<String> names, double[][] dir, double by) {
        for (int t = 0; t < names.size(); t++) {
            INDArray p = params.get(names.get(t));
            p.addi(org.nd4j.linalg.factory.Nd4j.create(dir[t], p.shape(), 'c').muli(by));
        }
    }

    static double error(double a, double n) {
        double scale = Math.max(Math.abs(a), Math.abs(n));
        if (scale < FLOOR) return Math.abs(a - n) <= ABS_TOLERANCE ? 0 : Double.POSITIVE_INFINITY;
        return Math.abs(a - n) / scale;
    }
}
