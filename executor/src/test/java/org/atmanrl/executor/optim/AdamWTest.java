package org.atmanrl.executor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdamW against PyTorch's formula worked out by hand (lr 0.1, weight decay 0.01, betas 0.9/0.999,
 * eps 1e-8), parameters {@code (1, −2, 0.5)}, gradients {@code (0.5, −1, 0)} then {@code (−0.25, 2, 0)}:
 *
 * <pre>
 * step 1: decay ×(1 − 0.001); m = 0.1 g; v = 0.001 g²; m̂ = g, sqrt(v̂) = |g|: each moves by lr·sign(g)
 *         p = (0.999 − 0.1, −1.998 + 0.1, 0.4995) = (0.899, −1.898, 0.4995)   (to ~1e-9, the eps)
 * step 2: p ×= 0.999; m = (0.02, 0.11, 0); v = (0.00031225, 0.004999, 0); bias corrections 0.19, 0.001999
 *         p −= (0.1 / 0.19) · m / (sqrt(v / 0.001999) + 1e-8)
 *         = (0.8714672987058463, −1.9327123534710748, 0.4990005)
 * </pre>
 *
 * The third parameter has zero gradient: it only decays, which shows the decay is decoupled (with
 * L2 regularisation folded into the gradient, Adam would move it by about lr, not by lr·wd·p).
 */
class AdamWTest {
    static AdamW.Config config(AdamW.DecayScope scope) {
        return new AdamW.Config(0.9, 0.999, 1e-8, 0.01, scope);
    }

    static Map<String, INDArray> params() {
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put("model.layers.0.mlp.up_proj.weight", Nd4j.createFromArray(1.0, -2.0, 0.5));
        p.put("model.norm.weight", Nd4j.createFromArray(1.0, 1.0, 1.0));
        return p;
    }

    static Map<String, INDArray> grads(double... g) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("model.layers.0.mlp.up_proj.weight", Nd4j.createFromArray(g));
        m.put("model.norm.weight", Nd4j.createFromArray(g));
        return m;
    }

    @Test
    void oneAndTwoStepsMatchPyTorchsFormula() {
        Map<String, INDArray> p = params();
        AdamW opt = new AdamW(config(AdamW.DecayScope.ALL), p);
        INDArray w = p.get("model.layers.0.mlp.up_proj.weight");
        opt.step(grads(0.5, -1.0, 0.0), 0.1);
        assertEquals(1, opt.steps());
        assertArrayEquals(new double[] {0.899000002, -1.898000001, 0.4995}, w.toDoubleVector(), 1e-15);
        opt.step(grads(-0.25, 2.0, 0.0), 0.1);
        assertArrayEquals(new double[] {0.8714672987058463, -1.9327123534710748, 0.4990005}, w.toDoubleVector(), 1e-15);
        AdamW.State s = opt.state();
        assertArrayEquals(new float[] {0.02f, 0.11f, 0f}, s.firstMoments().get(0), 1e-9f);
        assertArrayEquals(new float[] {0.00031225f, 0.004999f, 0f}, s.secondMoments().get(0), 1e-12f);
    }

    @Test
    void weightDecayIsDecoupledFromTheGradient() {
        // Zero gradients: m and v stay 0, so the update is only p ← p·(1 − lr·wd), step after step.
        Map<String, INDArray> p = params();
        AdamW opt = new AdamW(config(AdamW.DecayScope.ALL), p);
        for (int i = 0; i < 3; i++) opt.step(grads(0, 0, 0), 0.5);
        double f = Math.pow(1 - 0.5 * 0.01, 3);
        assertArrayEquals(new double[] {f, -2 * f, 0.5 * f}, p.get("model.layers.0.mlp.up_proj.weight").toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {f, f, f}, p.get("model.norm.weight").toDoubleVector(), 1e-15);
    }

    @Test
    void excludedTensorsAreNotDecayed() {
        Map<String, INDArray> p = params();
        AdamW opt = new AdamW(config(AdamW.DecayScope.EXCLUDE_NORMS), p);
        opt.step(grads(0, 0, 0), 0.5);
        assertArrayEquals(new double[] {1, 1, 1}, p.get("model.norm.weight").toDoubleVector(), 0.0);
        assertArrayEquals(new double[] {0.995, -1.99, 0.4975}, p.get("model.layers.0.mlp.up_proj.weight").toDoubleVector(), 1e-15);
    }

    @Test
    void restoredStateContinuesTheSameTrajectory() {
        Map<String, INDArray> a = params();
        AdamW optA = new AdamW(config(AdamW.DecayScope.ALL), a);
        optA.step(grads(0.5, -1.0, 0.25), 0.1);
        AdamW.State saved = optA.state();
        Map<String, INDArray> b = new LinkedHashMap<>();
        a.forEach((k, v) -> b.put(k, v.dup()));
        AdamW optB = new AdamW(config(AdamW.DecayScope.ALL), b);
        optB.restore(saved);
        assertEquals(1, optB.steps());
        optA.step(grads(-0.25, 2.0, 1.0), 0.1);
        optB.step(grads(-0.25, 2.0, 1.0), 0.1);
        // The moments went through float: equal to float precision of the update.
        assertArrayEquals(a.get("model.layers.0.mlp.up_proj.weight").toDoubleVector(),
                b.get("model.layers.0.mlp.up_proj.weight").toDoubleVector(), 1e-8);
    }

    @Test
    void worksInFloatAndCastsGradients() {
        Map<String, INDArray> p = new LinkedHashMap<>();
        p.put("w", Nd4j.createFromArray(1.0f, -2.0f, 0.5f));
        AdamW opt = new AdamW(config(AdamW.DecayScope.ALL), p);
        opt.step(Map.of("w", Nd4j.createFromArray(0.5, -1.0, 0.0)), 0.1);
        assertEquals(DataType.FLOAT, p.get("w").dataType());
        assertArrayEquals(new float[] {0.899f, -1.898f, 0.4995f}, p.get("w").toFloatVector(), 1e-6f);
    }

    @Test
    void refusesMissingOrMisshapenGradients() {
        Map<String, INDArray> p = params();
        AdamW opt = new AdamW(config(AdamW.DecayScope.ALL), p);
        assertThrows(IllegalArgumentException.class,
                () -> opt.step(Map.of("model.norm.weight", Nd4j.createFromArray(0.0, 0.0, 0.0)), 0.1));
        Map<String, INDArray> wrong = grads(0, 0, 0);
        wrong.put("model.norm.weight", Nd4j.createFromArray(0.0, 0.0));
        assertThrows(IllegalArgumentException.class, () -> opt.step(wrong, 0.1));
        assertEquals(0, opt.steps(), "a refused step is not counted");
    }
}
