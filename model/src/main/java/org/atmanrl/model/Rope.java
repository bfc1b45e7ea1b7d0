package org.atmanrl.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embedding in HF's rotate-half layout: dimension {@code j} pairs with
 * {@code j + head_dim/2}, both rotated by angle {@code position * inv_freq[j]}, so HF checkpoints
 * load without permuting q/k rows. With {@code rope_scaling} of type llama3 the inverse
 * frequencies are rescaled as in HF's {@code _compute_llama3_parameters}.
 */
public final class Rope {
    private final float[] invFreq;

    public Rope(LlamaConfig c) {
        int half = c.headDim() / 2;
        float[] f = new float[half];
        for (int j = 0; j < half; j++) {
            // HF: 1.0 / base ** (arange(0, dim, 2).float() / dim), evaluated in float32
            f[j] = (float) (1.0 / Math.pow(c.ropeTheta(), (float) (2 * j) / (float) c.headDim()));
        }
        if (c.ropeScaling() != null) {
            llama3Scale(f, c.ropeScaling());
        }
        this.invFreq = f;
    }

    private static void llama3Scale(float[] f, LlamaConfig.RopeScaling s) {
        double oldLen = s.originalMaxPositionEmbeddings();
        double lowFreqWavelen = oldLen / s.lowFreqFactor();
        double highFreqWavelen = oldLen / s.highFreqFactor();
        for (int j = 0; j < f.length; j++) {
            double wavelen = 2 * Math.PI / f[j];
            if (wavelen > lowFreqWavelen) {
                f[j] = (float) (f[j] / s.factor());
            } else if (wavelen >= highFreqWavelen) {
                double smooth = (oldLen / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                f[j] = (float) ((1 - smooth) * f[j] / s.factor() + smooth * f[j]);
            }
        }
    }

    public float[] inverseFrequencies() {
        return invFreq.clone();
    }

    /** cos and sin of every cell's angles, shaped {@code [batch, length, 1, head_dim/2]}. */
    public Angles angles(TokenBatch tb, DataType dtype) {
        int n = tb.tokens(), half = invFreq.length;
        int[] pos = tb.positions();
        double[] cos = new double[n * half], sin = new double[n * half];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < half; j++) {
                float angle = pos[i] * invFreq[j]; // float32 product, as HF computes freqs
                cos[i * half + j] = Math.cos(angle);
                sin[i * half + j] = Math.sin(angle);
            }
        }
        long[] shape = {tb.batch(), tb.length(), 1, half};
        return new Angles(Nd4j.createFromArray(cos).reshape(shape).castTo(dtype),
                Nd4j.createFromArray(sin).reshape(shape).castTo(dtype));
    }

    /** Per-cell cos/sin, broadcast over heads. */
    public record Angles(INDArray cos, INDArray sin) {}

    /**
     * {@code [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]} on {@code [B, T, heads, hd]}.
     * With {@code inverse} it rotates by the opposite angle, which is the transpose: the backward pass.
     */
    static INDArray rotate(INDArray x, Angles a, boolean inverse) {
        long half = x.size(3) / 2;
        INDArray x1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half));
        INDArray out = Nd4j.createUninitialized(x.dataType(), x.shape());
        INDArray o1 = out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray o2 = out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(half, 2 * half));
        INDArray t = Nd4j.createUninitialized(x.dataType(), x1.shape());
        Nd4j.exec(new MulOp(x1, a.cos(), o1));
        Nd4j.exec(new MulOp(x2, a.sin(), t));
        if (inverse) Nd4j.exec(new AddOp(o1, t, o1)); else Nd4j.exec(new SubOp(o1, t, o1));
        Nd4j.exec(new MulOp(x2, a.cos(), o2));
        Nd4j.exec(new MulOp(x1, a.sin(), t));
        if (inverse) Nd4j.exec(new SubOp(o2, t, o2)); else Nd4j.exec(new AddOp(o2, t, o2));
        t.close();
        return out;
    }
}
