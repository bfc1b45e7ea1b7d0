package org.atmanrl.driver.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.atmanrl.model.ForwardPass;
import org.atmanrl.model.LayerWeights;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TokenBatch;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The measurement behind the model's design choice: one decoder layer's training step (forward
 * and backward of every layer weight) with SameDiff's automatic differentiation against the
 * model's hand-written backward, same shapes, same JVM, same run.
 *
 * <p>The hand-written side is the real model cut to one layer with an 8-token vocabulary, so its
 * embedding and LM head cost next to nothing; both sides are credited with the same layer FLOPs.
 * The SameDiff side is a plain graph of the same layer (RMSNorm, RoPE, grouped-query causal
 * attention, SwiGLU) with {@code calculateGradients}; the collection before every run that
 * {@link RepeatedRun} does is what SameDiff needs to keep its memory in check (docs/design.md 6.1).
 */
final class AutodiffComparison {
    static final String SAMEDIFF = "layer_step_samediff";
    static final String HAND_WRITTEN = "layer_step_handwritten";

    private AutodiffComparison() {}

    static List<Measurement> measure(BenchShape shape, RepeatedRun runs) {
        LlamaConfig full = shape.config();
        LlamaConfig one = LlamaConfig.of(8, full.hiddenSize(), full.intermediateSize(), 1,
                full.numAttentionHeads(), full.numKeyValueHeads(), null, null, false);
        int b = shape.batch(), t = shape.seq();
        double flops = layerFlops(one, b, t);
        List<Measurement> out = new ArrayList<>();
        try (LlamaWeights w = LlamaWeights.random(one, 7, DataType.FLOAT)) {
            out.add(handWritten(shape, new LlamaModel(w), runs, flops));
            out.add(sameDiff(shape, w.layer(0), one, runs, flops));
        }
        return out;
    }

    /** 6 x (layer parameters) x tokens + the full T x T attention matrices. */
    static double layerFlops(LlamaConfig c, int batch, int seq) {
        double d = c.hiddenSize(), hd = c.headDim();
        double params = d * hd * (2.0 * c.numAttentionHeads() + 2.0 * c.numKeyValueHeads())
                + 3.0 * d * c.intermediateSize();
        return 6 * params * batch * seq + 12.0 * batch * (double) seq * seq * c.numAttentionHeads() * hd;
    }

    private static Measurement handWritten(BenchShape shape, LlamaModel model, RepeatedRun runs, double flops) {
        SplittableRandom rng = new SplittableRandom(3);
        List<int[]> seqs = new ArrayList<>();
        for (int r = 0; r < shape.batch(); r++) seqs.add(rng.ints(shape.seq() + 1, 0, 8).toArray());
        TokenBatch grid = TokenBatch.forScoring(seqs);
        double[] cellWeights = new double[grid.tokens()];
        Arrays.fill(cellWeights, 1.0);
        Timings timings = runs.time(shape.label() + " " + HAND_WRITTEN, () -> {
            try (ForwardPass fp = model.forward(grid, null)) {
                fp.backward(cellWeights, true, false).close();
            }
        });
        return measurement(shape, HAND_WRITTEN, flops, timings);
    }

    private static Measurement sameDiff(BenchShape shape, LayerWeights lw, LlamaConfig c, RepeatedRun runs,
                                        double flops) {
        int b = shape.batch(), t = shape.seq(), n = b * t, d = c.hiddenSize(), hd = c.headDim();
        int h = c.numAttentionHeads(), kv = c.numKeyValueHeads(), g = h / kv, half = hd / 2;
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, n, d);
        String[] names = {"in_norm", "wq", "wk", "wv", "wo", "post_norm", "wg", "wu", "wd"};
        INDArray[] values = {lw.inputNorm(), lw.q(), lw.k(), lw.v(), lw.o(), lw.postNorm(), lw.gate(), lw.up(), lw.down()};
        Map<String, SDVariable> v = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) v.put(names[i], sd.var(names[i], values[i].dup()));

        // cos/sin in HF's full-width layout cat(freqs, freqs), shaped [1, T, 1, hd]
        float[] cos = new float[t * hd], sin = new float[t * hd];
        for (int p = 0; p < t; p++) {
            for (int j = 0; j < hd; j++) {
                double inv = 1.0 / Math.pow(c.ropeTheta(), (double) (2 * (j % half)) / hd);
                cos[p * hd + j] = (float) Math.cos(p * inv);
                sin[p * hd + j] = (float) Math.sin(p * inv);
            }
        }
        SDVariable cosV = sd.constant("cos", Nd4j.create(cos, new long[] {1, t, 1, hd}, 'c'));
        SDVariable sinV = sd.constant("sin", Nd4j.create(sin, new long[] {1, t, 1, hd}, 'c'));
        float[] mask = new float[g * t * t];
        for (int r = 0; r < g * t; r++) {
            for (int k = 0; k < t; k++) mask[r * t + k] = k <= r % t ? 0f : -1e9f;
        }
        SDVariable maskV = sd.constant("mask", Nd4j.create(mask, new long[] {1, 1, (long) g * t, t}, 'c'));

        SDVariable xn = rms(sd, x, v.get("in_norm"), c.rmsNormEps());
        SDVariable q = rope(sd, sd.reshape(sd.mmul(xn, v.get("wq"), false, true, false), b, t, h, hd), cosV, sinV, half);
        SDVariable k = rope(sd, sd.reshape(sd.mmul(xn, v.get("wk"), false, true, false), b, t, kv, hd), cosV, sinV, half);
        SDVariable val = sd.reshape(sd.mmul(xn, v.get("wv"), false, true, false), b, t, kv, hd);
        SDVariable q4 = sd.reshape(sd.permute(sd.reshape(q, b, t, kv, g, hd), 0, 2, 3, 1, 4), b, kv, (long) g * t, hd);
        SDVariable k4 = sd.permute(k, 0, 2, 1, 3);
        SDVariable v4 = sd.permute(val, 0, 2, 1, 3);
        SDVariable scores = sd.mmul(q4, k4, false, true, false).mul(1.0 / Math.sqrt(hd)).add(maskV);
        SDVariable o4 = sd.mmul(sd.nn.softmax(scores, 3), v4);
        SDVariable heads = sd.reshape(sd.permute(sd.reshape(o4, b, kv, g, t, hd), 0, 3, 1, 2, 4), n, (long) h * hd);
        SDVariable x1 = x.add(sd.mmul(heads, v.get("wo"), false, true, false));
        SDVariable hn = rms(sd, x1, v.get("post_norm"), c.rmsNormEps());
        SDVariable act = sd.nn.swish(sd.mmul(hn, v.get("wg"), false, true, false))
                .mul(sd.mmul(hn, v.get("wu"), false, true, false));
        SDVariable x2 = x1.add(sd.mmul(act, v.get("wd"), false, true, false));
        SDVariable loss = x2.mul(sd.constant("upstream", Nd4j.rand(DataType.FLOAT, n, d))).sum();
        sd.setLossVariables(loss);

        Map<String, INDArray> feed = Map.of("x", Nd4j.randn(DataType.FLOAT, n, d));
        String[] wrt = names.clone();
        // The first call compiles the gradient graph and prints a line per op to System.out.
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(PrintStream.nullOutputStream()));
        try {
            sd.calculateGradients(feed, wrt);
        } finally {
            System.setOut(stdout);
        }
        Timings timings = runs.time(shape.label() + " " + SAMEDIFF, () -> sd.calculateGradients(feed, wrt));
        return measurement(shape, SAMEDIFF, flops, timings);
    }

    private static SDVariable rms(SameDiff sd, SDVariable x, SDVariable w, double eps) {
        return x.mul(sd.math.rsqrt(x.mul(x).mean(true, 1).add(eps))).mul(w);
    }

    /** q*cos + rotate_half(q)*sin on [B, T, heads, hd]. */
    private static SDVariable rope(SameDiff sd, SDVariable q, SDVariable cos, SDVariable sin, int half) {
        SDVariable x1 = q.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.interval(0, half));
        SDVariable x2 = q.get(SDIndex.all(), SDIndex.all(), SDIndex.all(), SDIndex.interval(half, 2 * half));
        return q.mul(cos).add(sd.concat(3, x2.neg(), x1).mul(sin));
    }

    private static Measurement measurement(BenchShape shape, String metric, double flops, Timings t) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("batch", shape.batch());
        d.put("seq", shape.seq());
        d.put("layers", 1);
        return new Measurement(shape.label(), metric, shape.batch() + " x " + shape.seq() + ", 1 layer", d,
                (long) shape.batch() * shape.seq(), flops, t);
    }
}
