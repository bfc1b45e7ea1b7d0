package org.atmanrl.model;


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

    /** cos and sin of every cell's angles, {@code [N * head_dim/2]} row-major. */
    public Angles angles(TokenBatch tb) {
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
        return new Angles(cos, sin);
    }

    /**
     * Per-cell cos/sin. Rotation: {@code [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]} for the
     * pair (j, j + hd/2); applied by {@link HeadLayout} while it lays heads out.
     */
    public record Angles(double[] cos, double[] sin) {}
}
