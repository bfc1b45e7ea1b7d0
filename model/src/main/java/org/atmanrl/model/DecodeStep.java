package org.atmanrl.model;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.stream.IntStream;
import org.atmanrl.model.io.HalfFloats;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraTarget;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One decoding step (one new token per row, fp32) with few ND4J calls: the projections are GEMMs
 * into buffers the cache keeps from step to step, and everything between them (RMSNorm, RoPE, the
 * append to the cache, attention over the cached keys, SwiGLU's gate, the residual adds) is plain
 * Java over the float buffers.
 *
 * <p>Why: at batch 1 the arrays between the GEMMs are {@code [1, D]} vectors, and ND4J's dispatch,
 * allocation and release of each small op cost far more than the op's arithmetic; the general pass
 * ({@link LlamaModel#hidden}) made about 30 such calls per layer and token, and they, not the GEMMs,
 * set the speed of the tiny config (docs/design.md 6.1, "Decoding"). The result equals the general
 * pass's up to float rounding: the same operations, summed in another order.
 */
final class DecodeStep {
    private DecodeStep() {}

    /**
     * Most values per activation ({@code batch x hidden}) for which the step is fused. Measured back
     * to back (docs/design.md 6.1): the tiny config at batch 32 (8,192) ran about 2x faster fused,
     * the mid one at batch 32 (32,768) about 20% slower, its time being GEMMs and attention over
     * many rows, where the general pass's batched ND4J ops do better than Java loops.
     */
    static final long MAX_FUSED_VALUES = 8192;

    /**
     * Whether {@code step} takes this path: one cell per row, fp32, small activations (batch 1
     * always), weights laid out plainly.
     */
    static boolean applies(LlamaModel model, TokenBatch step) {
        if (step.length() != 1 || model.dataType() != DataType.FLOAT) {
            return false;
        }
        if (step.batch() > 1 && (long) step.batch() * model.config().hiddenSize() > MAX_FUSED_VALUES) {
            return false;
        }
        LlamaWeights w = model.weights();
        if (!Arrays2.flatFromStart(w.embed()) || !Arrays2.flatFromStart(w.norm())) {
            return false;
        }
        for (LayerWeights lw : w.layers()) {
            if (!Arrays2.flatFromStart(lw.inputNorm()) || !Arrays2.flatFromStart(lw.postNorm())) {
                return false;
            }
        }
        return true;
    }


    /**
     * Appends {@code step}'s cells to {@code cache} and returns the logits {@code [B, vocab]}, as
     * {@link LlamaModel#nextTokenLogits} does.
     */
    static INDArray run(LlamaModel model, TokenBatch step, KvCache cache, Rope rope) {
        LlamaConfig c = model.config();
        LlamaWeights w = model.weights();
        LoraAdapters adapters = model.adapters();
        int b = step.batch(), d = c.hiddenSize(), hd = c.headDim(), heads = c.numAttentionHeads();
        int kv = c.numKeyValueHeads(), g = heads / kv, half = hd / 2;
        int past = cache.advance(step);
        Buffers s = cache.decodeBuffers(c);
        Rope.Angles angles = rope.angles(step);
        double[] cos = angles.cos(), sin = angles.sin();
        float scale = (float) (1.0 / Math.sqrt(hd));
        double eps = c.rmsNormEps();

        float[] x = s.x;
        embedRows(w.embed(), step.ids(), b, d, x);
        FloatBuffer xn = s.xn.data().asNioFloat(), heads4 = s.heads.data().asNioFloat();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            LayerWeights lw = w.layer(i);
            LoraLayer lora = adapters == null ? null : new LoraLayer(adapters, i, null, step, false);
            KvCache.Layer layer = cache.layer(i);
            FloatBuffer keys = layer.keyData(), values = layer.valueData();
            int capacity = cache.capacity();

            rmsNorm(x, lw.inputNorm(), eps, b, d, s, xn);
            INDArray qa = project(lora, LoraTarget.Q_PROJ, s.xn, s.xnVec, lw.q(), s.q, s.qVec);
            INDArray ka = project(lora, LoraTarget.K_PROJ, s.xn, s.xnVec, lw.k(), s.k, s.kVec);
            INDArray va = project(lora, LoraTarget.V_PROJ, s.xn, s.xnVec, lw.v(), s.v, s.vVec);
            FloatBuffer q = qa.data().asNioFloat(), k = ka.data().asNioFloat(), v = va.data().asNioFloat();
            // RoPE on q (then q / sqrt(hd), as Attention scales it) and k; k and v go straight to the cache
            for (int r = 0; r < b; r++) {
                for (int h = 0; h < heads; h++) {
                    rotate(q, (r * heads + h) * hd, q, (r * heads + h) * hd, cos, sin, r * half, half, scale);
                }
                for (int h = 0; h < kv; h++) {
                    int cell = ((r * kv + h) * capacity + past) * hd;
                    rotate(k, (r * kv + h) * hd, keys, cell, cos, sin, r * half, half, 0);
                    for (int j = 0; j < hd; j++) {
                        values.put(cell + j, v.get((r * kv + h) * hd + j));
                    }
                }
            }
            attend(cache, q, keys, values, heads4, b, kv, g, hd, capacity, past + 1);
            release(qa, s.q);
            release(ka, s.k);
            release(va, s.v);
            INDArray oa = project(lora, LoraTarget.O_PROJ, s.heads, s.headsVec, lw.o(), s.proj, s.projVec);
            addInto(x, oa.data().asNioFloat(), b * d, s.row);
            release(oa, s.proj);

            rmsNorm(x, lw.postNorm(), eps, b, d, s, xn);
            INDArray ga = project(lora, LoraTarget.GATE_PROJ, s.xn, s.xnVec, lw.gate(), s.gate, s.gateVec);
            INDArray ua = project(lora, LoraTarget.UP_PROJ, s.xn, s.xnVec, lw.up(), s.up, s.upVec);
            swiGlu(ga.data().asNioFloat(), ua.data().asNioFloat(), b * c.intermediateSize(), s.row, s.hidden);
            release(ua, s.up);
            INDArray da = project(lora, LoraTarget.DOWN_PROJ, ga, s.gateVec, lw.down(), s.proj, s.projVec);
            release(ga, s.gate);
            addInto(x, da.data().asNioFloat(), b * d, s.row);
            release(da, s.proj);
        }
        rmsNorm(x, w.norm(), eps, b, d, s, xn);
        if (b > 1) {
            return Linear.output(s.xn, w.lmHead());
        }
        INDArray logits = Nd4j.createUninitialized(DataType.FLOAT, b, c.vocabSize());
        project(null, null, s.xn, s.xnVec, w.lmHead(), logits, logits.reshape(logits.length()));
        return logits;
    }

    /**
     * {@code y = x W^T} plus the LoRA branch. At batch 1 through BLAS's GEMV on vector views
     * ({@code xv}, {@code yv}) into {@code y}, which it returns: ND4J's matmul op took 2-3x as long on
     * a {@code [1, 1024] x [1024, 2816]} product in a back-to-back measurement (docs/design.md 6.1).
     * At larger batches the general pass's own call, into a new array the caller releases.
     */
    private static INDArray project(LoraLayer lora, LoraTarget target, INDArray x, INDArray xv, INDArray w, INDArray y,
                                    INDArray yv) {
        if (xv == null) {
            return LoraLayer.forward(lora, target, x, w);
        }
        Nd4j.getBlasWrapper().level2().gemv('c', 'N', 1.0, StoredWeights.fp32(w), xv, 0.0, yv);
        LoraLayer.addBranch(lora, target, x, y);
        return y;
    }

    /** Rows {@code ids} of the embedding into {@code x [b * d]}; a bf16 embedding's rows widen exactly. */
    private static void embedRows(INDArray embed, int[] ids, int b, int d, float[] x) {
        if (embed.dataType() == DataType.FLOAT) {
            FloatBuffer rows = embed.data().asNioFloat();
            for (int r = 0; r < b; r++) {
                rows.get(ids[r] * d, x, r * d, d);
            }
            return;
        }
        ShortBuffer rows = StoredWeights.bits(embed);
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < d; j++) {
                x[r * d + j] = HalfFloats.bf16ToFloat(rows.get(ids[r] * d + j));
            }
        }
    }

    /** Releases {@code a} (a pooled array at larger batches) unless it is the kept buffer {@code kept}. */
    private static void release(INDArray a, INDArray kept) {
        if (a != kept) {
            Arrays2.release(a);
        }
    }

    /** {@code out = x / sqrt(mean(x^2) + eps) * weight} per row of {@code x [b, d]}. */
    private static void rmsNorm(float[] x, INDArray weight, double eps, int b, int d, Buffers s, FloatBuffer out) {
        float[] row = s.row, wv = s.hidden;
        weight.data().asNioFloat().get(0, wv, 0, d);
        for (int r = 0; r < b; r++) {
            int o = r * d;
            float inv = RmsNorm.inverseRms(x, o, d, eps);
            for (int j = 0; j < d; j++) {
                row[j] = x[o + j] * inv * wv[j];
            }
            out.put(o, row, 0, d);
        }
    }

    /**
     * HF's rotate-half RoPE of one head's {@code hd} values at {@code from}, written at {@code to}
     * (may be the same place), times {@code scale} unless it is 0.
     */
    private static void rotate(FloatBuffer from, int src, FloatBuffer to, int dst, double[] cos, double[] sin,
                               int angle, int half, float scale) {
        for (int j = 0; j < half; j++) {
            double c = cos[angle + j], sn = sin[angle + j];
            double x1 = from.get(src + j), x2 = from.get(src + j + half);
            float y1 = (float) (x1 * c - x2 * sn), y2 = (float) (x2 * c + x1 * sn);
            if (scale != 0) {
                y1 *= scale;
                y2 *= scale;
            }
            to.put(dst + j, y1);
            to.put(dst + j + half, y2);
        }
    }

    /**
     * Softmax attention of every query head over the first {@code tk} cells of its KV head, keys
     * the cache marks invalid hidden (a row with none visible gets zeros, as {@link MaskedSoftmax}
     * gives it). Out in the token layout {@code [B, heads * hd]}, query head {@code kvh * g + m}.
     */
    private static void attend(KvCache cache, FloatBuffer q, FloatBuffer keys, FloatBuffer values, FloatBuffer out,
                               int b, int kv, int g, int hd, int capacity, int tk) {
        int units = b * kv;
        // Split over the cores only when there is work enough to pay for waking them.
        boolean parallel = units > 1 && (long) units * g * tk * hd >= 1 << 16;
        int chunks = parallel ? Math.min(units, Runtime.getRuntime().availableProcessors()) : 1;
        IntStream range = IntStream.range(0, chunks);
        (parallel ? range.parallel() : range).forEach(chunk -> {
            float[] kb = new float[tk * hd], vb = new float[tk * hd], qv = new float[hd];
            double[] p = new double[tk], o = new double[hd];
            float[] ov = new float[hd];
            for (int unit = chunk; unit < units; unit += chunks) {
                int r = unit / kv, h = unit % kv;
                int base = (r * kv + h) * capacity * hd;
                keys.get(base, kb, 0, tk * hd);
                values.get(base, vb, 0, tk * hd);
                for (int m = 0; m < g; m++) {
                    int head = h * g + m, qo = (r * kv * g + head) * hd;
                    q.get(qo, qv, 0, hd);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int t = 0; t < tk; t++) {
                        if (!cache.valid(r, t)) {
                            p[t] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        float dot = 0;
                        int ko = t * hd;
                        for (int j = 0; j < hd; j++) {
                            dot += qv[j] * kb[ko + j];
                        }
                        p[t] = dot;
                        if (dot > max) max = dot;
                    }
                    double inv = MaskedSoftmax.exponentiate(p, tk, max);
                    java.util.Arrays.fill(o, 0);
                    for (int t = 0; t < tk; t++) {
                        if (p[t] == 0) continue;
                        float pt = (float) (p[t] * inv); // the probabilities are float in the general pass too
                        int vo = t * hd;
                        for (int j = 0; j < hd; j++) {
                            o[j] += pt * vb[vo + j];
                        }
                    }
                    for (int j = 0; j < hd; j++) {
                        ov[j] = (float) o[j];
                    }
                    out.put(qo, ov, 0, hd);
                }
            }
        });
    }

    /** {@code x += y} over {@code n} floats. */
    private static void addInto(float[] x, FloatBuffer y, int n, float[] row) {
        for (int from = 0; from < n; from += row.length) {
            int len = Math.min(row.length, n - from);
            y.get(from, row, 0, len);
            for (int j = 0; j < len; j++) {
                x[from + j] += row[j];
            }
        }
    }

    /** {@code gate = silu(gate) * up} over {@code n} floats, in place. */
    private static void swiGlu(FloatBuffer gate, FloatBuffer up, int n, float[] row, float[] u) {
        for (int from = 0; from < n; from += row.length) {
            int len = Math.min(row.length, n - from);
            gate.get(from, row, 0, len);
            up.get(from, u, 0, len);
            for (int j = 0; j < len; j++) {
                float z = row[j];
                float silu = (float) (z / (1 + Math.exp(-z)));
                row[j] = silu * u[j];
            }
            gate.put(from, row, 0, len);
        }
    }

    /**
     * The arrays of one step, kept by the {@link KvCache} from step to step: the GEMMs' inputs and
     * outputs in ND4J, the residual stream and a row of scratch on the Java heap.
     */
    static final class Buffers implements AutoCloseable {
        final INDArray xn, q, k, v, heads, proj, gate, up;
        /** The same arrays as vectors at batch 1, for GEMV; null at larger batches. */
        final INDArray xnVec, qVec, kVec, vVec, headsVec, projVec, gateVec, upVec;
        final float[] x, row, hidden;

        Buffers(LlamaConfig c, int batch) {
            int d = c.hiddenSize(), hd = c.headDim();
            xn = Nd4j.create(DataType.FLOAT, batch, d);
            heads = Nd4j.create(DataType.FLOAT, batch, (long) c.numAttentionHeads() * hd);
            boolean one = batch == 1; // larger batches take the projections in new arrays (see project)
            q = one ? Nd4j.create(DataType.FLOAT, 1, (long) c.numAttentionHeads() * hd) : null;
            k = one ? Nd4j.create(DataType.FLOAT, 1, (long) c.numKeyValueHeads() * hd) : null;
            v = one ? Nd4j.create(DataType.FLOAT, 1, (long) c.numKeyValueHeads() * hd) : null;
            proj = one ? Nd4j.create(DataType.FLOAT, 1, d) : null;
            gate = one ? Nd4j.create(DataType.FLOAT, 1, c.intermediateSize()) : null;
            up = one ? Nd4j.create(DataType.FLOAT, 1, c.intermediateSize()) : null;
            xnVec = one ? xn.reshape(xn.length()) : null;
            qVec = one ? q.reshape(q.length()) : null;
            kVec = one ? k.reshape(k.length()) : null;
            vVec = one ? v.reshape(v.length()) : null;
            headsVec = one ? heads.reshape(heads.length()) : null;
            projVec = one ? proj.reshape(proj.length()) : null;
            gateVec = one ? gate.reshape(gate.length()) : null;
            upVec = one ? up.reshape(up.length()) : null;
            x = new float[batch * d];
            row = new float[Math.max(d, Math.min(c.intermediateSize(), 4096))];
            hidden = new float[row.length];
        }

        @Override
        public void close() {
            Arrays2.release(xn, q, k, v, heads, proj, gate, up);
        }
    }
}
