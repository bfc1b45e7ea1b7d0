package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A deliberately plain reference: one unpadded sequence at a time, loops over scalars in double,
 * written from HF's {@code modeling_llama.py} (repeat_kv maps query head h to KV head
 * h / (H / KV); rotate_half; llama3 inverse-frequency rule) independently of the batched code.
 */
final class NaiveLlama {
    private final LlamaConfig c;
    private final double[][] embed, head;
    private final double[] finalNorm;
    private final double[][] inNorm, postNorm;
    private final double[][][] wq, wk, wv, wo, wg, wu, wd;
    private final double[] invFreq;

    NaiveLlama(LlamaWeights w) {
        c = w.config();
        embed = w.embed().toDoubleMatrix();
        head = w.lmHead().toDoubleMatrix();
        finalNorm = w.norm().toDoubleVector();
        int l = c.numHiddenLayers();
        inNorm = new double[l][];
        postNorm = new double[l][];
        wq = new double[l][][]; wk = new double[l][][]; wv = new double[l][][]; wo = new double[l][][];
        wg = new double[l][][]; wu = new double[l][][]; wd = new double[l][][];
        for (int i = 0; i < l; i++) {
            LayerWeights lw = w.layer(i);
            inNorm[i] = lw.inputNorm().toDoubleVector();
            postNorm[i] = lw.postNorm().toDoubleVector();
            wq[i] = lw.q().toDoubleMatrix(); wk[i] = lw.k().toDoubleMatrix(); wv[i] = lw.v().toDoubleMatrix();
            wo[i] = lw.o().toDoubleMatrix(); wg[i] = lw.gate().toDoubleMatrix(); wu[i] = lw.up().toDoubleMatrix();
            wd[i] = lw.down().toDoubleMatrix();
        }
        invFreq = inverseFrequencies(c);
    }

    /** HF _compute_default_rope_parameters + _compute_llama3_parameters, in float32 like torch. */
    static double[] inverseFrequencies(LlamaConfig c) {
        int dim = c.headDim();
        double[] f = new double[dim / 2];
        for (int i = 0; i < dim; i += 2) {
            f[i / 2] = (float) (1.0 / Math.pow(c.ropeTheta(), (float) i / dim));
        }
        LlamaConfig.RopeScaling s = c.ropeScaling();
        if (s == null) return f;
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int j = 0; j < f.length; j++) {
            double wavelen = 2 * Math.PI / f[j];
            double scaled = wavelen > lowWavelen ? f[j] / s.factor() : f[j];
            double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                    / (s.highFreqFactor() - s.lowFreqFactor());
            double smoothed = (1 - smooth) * scaled / s.factor() + smooth * scaled;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            f[j] = (float) (medium ? smoothed : scaled);
        }
        return f;
    }

    /** Logits {@code [T][V]} of an unpadded sequence with an optional per-key bias. */
    double[][] logits(int[] tokens, double[] keyBias) {
        int t = tokens.length, d = c.hiddenSize(), hd = c.headDim(), h = c.numAttentionHeads();
        int kvh = c.numKeyValueHeads(), g = h / kvh;
        double[][] x = new double[t][];
        for (int i = 0; i < t; i++) x[i] = embed[tokens[i]].clone();
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            double[][] q = new double[t][], k = new double[t][], v = new double[t][];
            for (int i = 0; i < t; i++) {
                double[] xn = rms(x[i], inNorm[layer]);
                q[i] = rope(matvec(wq[layer], xn), i, h);
                k[i] = rope(matvec(wk[layer], xn), i, kvh);
                v[i] = matvec(wv[layer], xn);
            }
            for (int i = 0; i < t; i++) {
                double[] heads = new double[h * hd];
                for (int hh = 0; hh < h; hh++) {
                    int kv = hh / g;
                    double[] p = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double s = 0;
                        for (int e = 0; e < hd; e++) s += q[i][hh * hd + e] * k[j][kv * hd + e];
                        s = s / Math.sqrt(hd) + (keyBias == null || j >= keyBias.length ? 0 : keyBias[j]);
                        p[j] = s;
                        max = Math.max(max, s);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) { p[j] = Math.exp(p[j] - max); z += p[j]; }
                    for (int j = 0; j <= i; j++) {
                        for (int e = 0; e < hd; e++) heads[hh * hd + e] += p[j] / z * v[j][kv * hd + e];
                    }
                }
                double[] o = matvec(wo[layer], heads);
                for (int e = 0; e < d; e++) x[i][e] += o[e];
            }
            for (int i = 0; i < t; i++) {
                double[] xn = rms(x[i], postNorm[layer]);
                double[] gt = matvec(wg[layer], xn), up = matvec(wu[layer], xn);
                for (int e = 0; e < gt.length; e++) gt[e] = gt[e] / (1 + Math.exp(-gt[e])) * up[e];
                double[] m = matvec(wd[layer], gt);
                for (int e = 0; e < d; e++) x[i][e] += m[e];
            }
        }
        double[][] out = new double[t][];
        for (int i = 0; i < t; i++) out[i] = matvec(head, rms(x[i], finalNorm));
        return out;
    }

    /** {@code log p(tokens[i+1] | tokens[..i])} for i in [0, T-1). */
    double[] logProbs(int[] tokens, double[] keyBias) {
        double[][] l = logits(tokens, keyBias);
        double[] lp = new double[tokens.length - 1];
        for (int i = 0; i + 1 < tokens.length; i++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (double v : l[i]) max = Math.max(max, v);
            for (double v : l[i]) z += Math.exp(v - max);
            lp[i] = l[i][tokens[i + 1]] - max - Math.log(z);
        }
        return lp;
    }

    private double[] rms(double[] x, double[] w) {
        double ms = 0;
        for (double v : x) ms += v * v;
        double r = 1 / Math.sqrt(ms / x.length + c.rmsNormEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * r * w[i];
        return y;
    }

    /** rotate_half: q*cos + cat(-x2, x1)*sin with cos/sin = cat(freqs, freqs). */
    private double[] rope(double[] x, int pos, int heads) {
        int hd = c.headDim(), half = hd / 2;
        double[] y = new double[x.length];
        for (int hh = 0; hh < heads; hh++) {
            for (int e = 0; e < hd; e++) {
                int j = e % half;
                float angle = (float) pos * (float) invFreq[j];
                double rot = e < half ? -x[hh * hd + e + half] : x[hh * hd + e - half];
                y[hh * hd + e] = x[hh * hd + e] * Math.cos(angle) + rot * Math.sin(angle);
            }
        }
        return y;
    }

    private static double[] matvec(double[][] w, double[] x) {
        double[] y = new double[w.length];
        for (int o = 0; o < w.length; o++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) s += w[o][i] * x[i];
            y[o] = s;
        }
        return y;
    }

    static double[] row(INDArray a, int r) {
        return a.getRow(r).toDoubleVector();
    }
}
