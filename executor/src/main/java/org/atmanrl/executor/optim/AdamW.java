package org.atmanrl.executor.optim;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.atmanrl.model.check.Range;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AdamW with PyTorch's {@code torch.optim.AdamW} update (Loshchilov and Hutter's decoupled weight
 * decay), applied in place to named parameters. At step {@code t} (from 1), for each parameter
 * {@code p} with gradient {@code g}:
 *
 * <pre>
 *   p ← p − lr·wd·p                              (decoupled decay; skipped for excluded tensors)
 *   m ← m + (1 − β1)(g − m)                      (= β1·m + (1 − β1)·g, PyTorch's lerp)
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * </pre>
 *
 * Element-wise ND4J operations only, so the result does not depend on thread count. Moments are
 * kept in the parameters' data type. The caller hands in finite gradients (see
 * {@link GradientClipping}, which reports a non-finite norm instead of applying it).
 */
public final class AdamW {

    /** Which tensors weight decay applies to. */
    public enum DecayScope {
        /**
         * Every parameter: what {@code torch.optim.AdamW(model.parameters())} does, and what the
         * PyTorch prototype of the embedded task was calibrated with (docs/design.md 2.4). The
         * default.
         */
        ALL,
        /**
         * All but the RMSNorm gains (tensors whose name contains {@code norm}): the Hugging Face
         * Trainer's default grouping (it puts norm weights and biases in a no-decay group), so what
         * TRL users get. Llama has no biases.
         */
        EXCLUDE_NORMS
    }

    /**
     * @param beta1       first-moment decay; default 0.9 (PyTorch)
     * @param beta2       second-moment decay; default 0.999 (PyTorch; the SFT recipe of
     *                    docs/design.md 2.4 uses 0.98)
     * @param eps         default 1e-8 (PyTorch)
     * @param weightDecay decoupled decay coefficient; default 0.01 (PyTorch's AdamW and
     *                    docs/design.md 2.4; the Hugging Face Trainer defaults to 0.0)
     * @param decayScope  default {@link DecayScope#ALL} (PyTorch)
     */
    public record Config(double beta1, double beta2, double eps, double weightDecay, DecayScope decayScope)
            implements Serializable {
        /** For beta1 and beta2. */
        public static final Range BETA = Range.closedOpen(0, 1);
        public static final Range EPS = Range.above(0), WEIGHT_DECAY = Range.atLeast(0);

        public Config {
            BETA.check("beta1", beta1);
            BETA.check("beta2", beta2);
            EPS.check("eps", eps);
            WEIGHT_DECAY.check("weightDecay", weightDecay);
            if (decayScope == null) throw new IllegalArgumentException("decayScope must be all or exclude_norms, got null");
        }

        public static Config defaults() {
            return new Config(0.9, 0.999, 1e-8, 0.01, DecayScope.ALL);
        }

        /** Whether weight decay applies to tensor {@code name}. */
        public boolean decays(String name) {
            return weightDecay > 0 && (decayScope == DecayScope.ALL || !name.contains("norm"));
        }
    }

    /**
     * The optimizer's state for a checkpoint: the number of steps taken and both moments of every
     * tensor, row-major, in the order of {@code names}.
     */
    public record State(long step, List<String> names, List<float[]> firstMoments, List<float[]> secondMoments) {
        public State {
            names = List.copyOf(names);
            firstMoments = List.copyOf(firstMoments);
            secondMoments = List.copyOf(secondMoments);
            if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
            if (firstMoments.size() != names.size() || secondMoments.size() != names.size()) {
                throw new IllegalArgumentException(names.size() + " names but " + firstMoments.size() + " first and "
                        + secondMoments.size() + " second moments");
            }
        }
    }

    private final Config config;
    private final String[] names;
    private final INDArray[] params;
    private final INDArray[] m;
    private final INDArray[] v;
    private long step;

    /** Zero moments for every parameter in {@code params} (the model's live arrays, updated in place). */
    public AdamW(Config config, Map<String, INDArray> params) {
        this.config = config;
        this.names = params.keySet().toArray(new String[0]);
        this.params = new INDArray[names.length];
        this.m = new INDArray[names.length];
        this.v = new INDArray[names.length];
        for (int i = 0; i < names.length; i++) {
            INDArray p = params.get(names[i]);
            this.params[i] = p;
            m[i] = Nd4j.zeros(p.dataType(), p.shape());
            v[i] = Nd4j.zeros(p.dataType(), p.shape());
        }
    }

    public Config config() { return config; }

    /** Steps taken so far; the next {@link #step} is step {@code steps() + 1} of the bias correction. */
    public long steps() { return step; }

    /**
     * One update with learning rate {@code lr}.
     *
     * @param gradients a gradient for every parameter, by name, same shapes (cast to the parameter's type)
     */
    public void step(Map<String, INDArray> gradients, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        if (gradients.size() != names.length) {
            throw new IllegalArgumentException("expected gradients for " + names.length + " tensors, got "
                    + gradients.size());
        }
        INDArray[] g = new INDArray[names.length];
        for (int i = 0; i < names.length; i++) {
            g[i] = gradients.get(names[i]);
            if (g[i] == null) throw new IllegalArgumentException("no gradient for " + names[i]);
            if (!java.util.Arrays.equals(g[i].shape(), params[i].shape())) {
                throw new IllegalArgumentException(names[i] + ": gradient shape " + java.util.Arrays.toString(g[i].shape())
                        + " but parameter shape " + java.util.Arrays.toString(params[i].shape()));
            }
        }
        step++;
        double b1 = config.beta1(), b2 = config.beta2();
        double bc1 = 1 - Math.pow(b1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
        double stepSize = lr / bc1;
        for (int i = 0; i < names.length; i++) {
            INDArray p = params[i];
            INDArray gi = g[i].dataType() == p.dataType() ? g[i] : g[i].castTo(p.dataType());
            if (config.decays(names[i])) {
                p.muli(1 - lr * config.weightDecay());
            }
            INDArray d = gi.sub(m[i]).muli(1 - b1);
            m[i].addi(d);
            d.close();
            INDArray g2 = gi.mul(gi).muli(1 - b2);
            v[i].muli(b2).addi(g2);
            g2.close();
            INDArray denom = Transforms.sqrt(v[i], true).divi(bc2Sqrt).addi(config.eps());
            INDArray update = m[i].div(denom).muli(stepSize);
            p.subi(update);
            denom.close();
            update.close();
            if (gi != g[i]) gi.close();
        }
    }

    /** Copies of the step count and moments, for a checkpoint. */
    public State state() {
        List<float[]> first = new ArrayList<>(), second = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            first.add(floats(m[i]));
            second.add(floats(v[i]));
        }
        return new State(step, List.of(names), first, second);
    }

    /** Continues from a checkpointed state of an optimizer over the same tensors. */
    public void restore(State s) {
        // the same tensors in any order: a state is matched to the parameters by name
        if (s.names().size() != names.length || !new java.util.HashSet<>(s.names()).equals(java.util.Set.of(names))) {
            throw new IllegalArgumentException("optimizer state is for tensors " + s.names() + ", not " + List.of(names));
        }
        for (int i = 0; i < names.length; i++) {
            int j = s.names().indexOf(names[i]);
            load(m[i], s.firstMoments().get(j), names[i]);
            load(v[i], s.secondMoments().get(j), names[i]);
        }
        step = s.step();
    }

    private static float[] floats(INDArray a) {
        INDArray f = a.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c');
        float[] out = f.data().asFloat();
        f.close();
        return out;
    }

    private static void load(INDArray target, float[] values, String name) {
        if (values.length != target.length()) {
            throw new IllegalArgumentException(name + ": state has " + values.length + " values, tensor has "
                    + target.length());
        }
        INDArray src = Nd4j.create(values, target.shape(), 'c');
        target.assign(src);
        src.close();
    }
}
