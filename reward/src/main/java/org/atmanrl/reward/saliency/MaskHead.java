package org.atmanrl.reward.saliency;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.NamedArrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The mask network of docs/design.md 2.6: each CoT token's mask logit from the policy's unbiased
 * forward pass, detached (the head never sends gradient into the policy): its final hidden states
 * (after the final RMSNorm) and its attention. Per row, with {@code x_j = h_j / sqrt(D)}, {@code d}
 * the delimiter's last cell (it predicts the first answer token, so it has read the whole CoT and
 * knows what the answer needs) and {@code a_j} the attention the answer's cells pay to token j in
 * each layer and head ({@code F = layers * heads} features, times the row's length so that even
 * attention reads 1):
 *
 * <pre>
 *   q       = A x_d                                                [r]
 *   k_j     = B x_j                                                [r]
 *   alpha   = softmax over the row's n CoT cells of (P x_d) . k_j / sqrt(r)
 *   theta_j = theta0 + c + w . x_j + u . a_j + q . k_j / sqrt(r) + gamma n alpha_j
 *                                                                  on the CoT, 0 elsewhere
 * </pre>
 *
 * The last, the row term, lets the head see the row as a whole: {@code n alpha_j} is 1 on every
 * token at even attention and up to {@code n} on one, so a row can set the tokens its own query
 * picks out apart from the rest by one shared gain, where the per-token terms alone spread a row's
 * mass over all its tokens (docs/measurements.md, "Which of the two minimises the objective").
 * {@code gamma = ROW_SCALE * s}, {@code s} a stored scalar.
 * {@code A, B, P [r, D]}, {@code w [D]}, {@code u [F]}, {@code c, s [1]}: {@code 3 r D + D + F + 2}
 * parameters (embedded model D 128, r 16, F 16: 6,290; Llama-3.2-3B D 3072, 28 layers x 24 heads,
 * r 16: 151,202). Initialised as LoRA is: A and P normal (std 1, seeded), the rest zero, so a new
 * head predicts {@code theta0} everywhere, the fitted mask's starting point, and B and s receive
 * gradient from the first step.
 *
 * <p>The bias enters attention exactly as the fitted mask's does ({@code b = log sigmoid(theta)},
 * {@link org.atmanrl.model.AttentionBias}). Computation runs in the parameters' data type (fp32;
 * fp64 for gradient checks). Not thread-safe.
 */
public final class MaskHead implements AutoCloseable {
    public static final String QUERY = "query", KEY = "key", TOKEN = "token", ATTENTION = "attention", BIAS = "bias",
            ROW_QUERY = "row_query", ROW_GAIN = "row_gain";
    /** Bound on r, checked by the config and by every loader before allocating. */
    public static final int MAX_RANK = 1024;

    /** Bound on the attention features (layers x heads), checked before allocating. */
    public static final int MAX_ATTENTION_FEATURES = 1 << 16;

    /**
     * The row term's gain is {@code gamma = ROW_SCALE * s}, {@code s} the stored {@code row_gain}:
     * AdamW moves {@code s} by about the head's learning rate per step, so one unit of {@code s}
     * spans the logit range a mask needs to count as suppressed ({@code theta0 - K lr <~ -4},
     * docs/design.md 2.2), and 300 steps at 3e-3 can reach |gamma| 3.6 instead of 0.9.
     */
    public static final double ROW_SCALE = 4;

    private final INDArray a, b, w, u, c, p, gain;
    private final double theta0;
    private final int rank, hidden, features;

    private MaskHead(INDArray a, INDArray b, INDArray w, INDArray u, INDArray c, INDArray p, INDArray gain,
                     double theta0) {
        this.a = a;
        this.p = p;
        this.gain = gain;
        this.b = b;
        this.w = w;
        this.u = u;
        this.c = c;
        this.theta0 = theta0;
        this.rank = (int) a.size(0);
        this.hidden = (int) a.size(1);
        this.features = (int) u.length();
    }

    /**
     * The tensors of a head for hidden size {@code d}, rank {@code r} and {@code f} attention
     * features (layers x heads), by name in file order.
     */
    public static Map<String, long[]> shapes(int d, int r, int f) {
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put(QUERY, new long[] {r, d});
        s.put(KEY, new long[] {r, d});
        s.put(TOKEN, new long[] {d});
        s.put(ATTENTION, new long[] {f});
        s.put(BIAS, new long[] {1});
        s.put(ROW_QUERY, new long[] {r, d});
        s.put(ROW_GAIN, new long[] {1});
        return s;
    }

    /** A new head: A and P normal from {@code seed}, the rest zero (it predicts {@code theta0}). */
    public static MaskHead init(int d, int r, int f, double theta0, long seed, DataType dtype) {
        if (r < 1 || r > MAX_RANK || d < 1 || f < 1 || f > MAX_ATTENTION_FEATURES) {
            throw new IllegalArgumentException("mask network needs hidden size >= 1, rank in 1.." + MAX_RANK
                    + " and 1.." + MAX_ATTENTION_FEATURES + " attention features, got " + d + ", " + r + ", " + f);
        }
        return new MaskHead(LlamaWeights.normal(seed, "mask_head." + QUERY, 1.0, dtype, r, d),
                Nd4j.zeros(dtype, r, d), Nd4j.zeros(dtype, d), Nd4j.zeros(dtype, f), Nd4j.zeros(dtype, 1),
                LlamaWeights.normal(seed, "mask_head." + ROW_QUERY, 1.0, dtype, r, d), Nd4j.zeros(dtype, 1), theta0);
    }

    /** A head holding {@code params} (names and shapes of {@link #shapes}), cast to {@code dtype}. */
    public static MaskHead of(NamedArrays params, double theta0, DataType dtype) {
        Map<String, INDArray> m = params.toArrays(dtype);
        INDArray a = m.get(QUERY), att = m.get(ATTENTION);
        if (m.size() != shapes(1, 1, 1).size() || a == null || a.rank() != 2 || att == null || att.rank() != 1) {
            m.values().forEach(INDArray::close);
            throw new IllegalArgumentException("a mask network has tensors " + shapes(1, 1, 1).keySet() + ", got "
                    + params.names());
        }
        Map<String, long[]> expected = shapes((int) a.size(1), (int) a.size(0), (int) att.length());
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            INDArray t = m.get(e.getKey());
            if (t == null || !java.util.Arrays.equals(t.shape(), e.getValue())) {
                m.values().forEach(INDArray::close);
                throw new IllegalArgumentException("mask network tensor " + e.getKey() + " must have shape "
                        + java.util.Arrays.toString(e.getValue()) + ", got "
                        + (t == null ? "none" : java.util.Arrays.toString(t.shape())));
            }
        }
        return new MaskHead(a, m.get(KEY), m.get(TOKEN), att, m.get(BIAS), m.get(ROW_QUERY), m.get(ROW_GAIN), theta0);
    }

    /** The parameters by name, in {@link #shapes} order; live arrays (an optimizer updates them in place). */
    public Map<String, INDArray> named() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put(QUERY, a);
        m.put(KEY, b);
        m.put(TOKEN, w);
        m.put(ATTENTION, u);
        m.put(BIAS, c);
        m.put(ROW_QUERY, p);
        m.put(ROW_GAIN, gain);
        return m;
    }

    public int rank() { return rank; }
    public int hiddenSize() { return hidden; }
    public int attentionFeatures() { return features; }
    public double theta0() { return theta0; }
    /** The row term's gain gamma ({@link #ROW_SCALE} times the stored parameter). */
    public double rowGain() { return ROW_SCALE * gain.getDouble(0); }
    public long parameterCount() { return 3L * rank * hidden + hidden + features + 2; }

    /**
     * What the head reads, for {@code rows} rows of {@code length} cells: the features
     * {@code x = h / sqrt(D)} of every cell {@code [rows * length, D]}, those of each row's
     * delimiter cell {@code [rows, D]}, the attention features {@code [rows * length, F]} and the
     * CoT cells {@code [rows, length]}. Close it.
     */
    public static final class Inputs implements AutoCloseable {
        final INDArray x, xd, att, cot;
        final int rows, length;
        /** Whether {@link #close} frees x, xd and att: false for {@link #firstRows}'s views. */
        private final boolean owner;

        private Inputs(INDArray x, INDArray xd, INDArray att, INDArray cot, int rows, int length) {
            this.x = x;
            this.xd = xd;
            this.att = att;
            this.cot = cot;
            this.rows = rows;
            this.length = length;
            this.owner = false;
        }

        /** The first {@code n} rows' inputs: views of these, valid while these are open; closing it frees nothing. */
        public Inputs firstRows(int n) {
            if (n < 1 || n > rows) {
                throw new IllegalArgumentException("rows [0, " + n + ") outside [0, " + rows + "]");
            }
            long cells = (long) n * length;
            return new Inputs(x.get(NDArrayIndex.interval(0, cells), NDArrayIndex.all()),
                    xd.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()),
                    att.get(NDArrayIndex.interval(0, cells), NDArrayIndex.all()),
                    cot.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()), n, length);
        }

        /**
         * @param hidden         final hidden states {@code [rows * length, D]} (not closed here)
         * @param delimiterCells per row, the cell within the row whose state the query reads
         * @param attention      attention features {@code [rows * length, F]} (closed with this)
         * @param cot            1 on each row's CoT cells {@code [rows, length]} (not closed here)
         */
        public Inputs(INDArray hidden, int[] delimiterCells, INDArray attention, INDArray cot) {
            this.owner = true;
            this.rows = (int) cot.size(0);
            this.length = (int) cot.size(1);
            if (hidden.rank() != 2 || hidden.size(0) != (long) rows * length || delimiterCells.length != rows) {
                throw new IllegalArgumentException("hidden states " + java.util.Arrays.toString(hidden.shape())
                        + " and " + delimiterCells.length + " delimiter cells do not fit " + rows + " rows of " + length);
            }
            this.x = hidden.mul(1.0 / Math.sqrt(hidden.size(1)));
            int[] flat = new int[rows];
            for (int r = 0; r < rows; r++) {
                if (delimiterCells[r] < 0 || delimiterCells[r] >= length) {
                    throw new IllegalArgumentException("delimiter cell " + delimiterCells[r] + " of row " + r
                            + " outside 0.." + (length - 1));
                }
                flat[r] = r * length + delimiterCells[r];
            }
            this.xd = Nd4j.pullRows(x, 1, flat);
            if (attention.rank() != 2 || attention.size(0) != (long) rows * length) {
                throw new IllegalArgumentException("attention features " + java.util.Arrays.toString(attention.shape())
                        + " do not fit " + rows + " rows of " + length);
            }
            this.att = attention;
            this.cot = cot;
        }

        @Override
        public void close() {
            if (owner) {
                x.close();
                xd.close();
                att.close();
            }
        }
    }

    /** {@code theta [rows, length]}: the formula above on the CoT cells, 0 elsewhere. */
    public INDArray theta(Inputs in) {
        requireHidden(in);
        int d = hidden;
        try (INDArray tok = in.x.mmul(w.reshape(d, 1));                       // [R*T, 1]
             INDArray read = in.att.mmul(u.reshape(features, 1));            // [R*T, 1]
             INDArray q = in.xd.mmul(a.transpose());                          // [R, r]
             INDArray k = in.x.mmul(b.transpose());                           // [R*T, r]
             INDArray bil = Nd4j.matmul(k.reshape('c', in.rows, in.length, rank),
                     q.reshape('c', in.rows, rank, 1));                      // [R, T, 1]
             INDArray spread = spread(in, k)) {                              // [R, T]
            INDArray theta = bil.reshape('c', in.rows, in.length).mul(1.0 / Math.sqrt(rank));
            theta.addi(tok.reshape('c', in.rows, in.length)).addi(read.reshape('c', in.rows, in.length))
                    .addi(c.getDouble(0) + theta0).addi(spread.mul(rowGain()));
            return theta.muli(in.cot);
        }
    }

    /**
     * Gradient sums of the head's parameters for {@code dL/dtheta} ({@code [rows, length]}, read on
     * the CoT cells only), by name in {@link #shapes} order, in the parameters' data type:
     * <pre>
     *   V_r = sum_j g_rj x_rj,  dc = sum g,  dw = sum_r V_r,  du = sum_rj g_rj a_rj,
     *   dB = Q^T V / sqrt(r),   dA = (V B^T)^T X_d / sqrt(r)
     * </pre>
     * and for the row term, with {@code S_rj = n alpha_rj}, {@code E_rj = gamma S_rj (g_rj - (1/n) sum_i S_ri g_ri)}
     * (the softmax's Jacobian) and {@code W_r = sum_j E_rj x_rj}:
     * <pre>
     *   ds = ROW_SCALE sum S g,   dP = (W B^T)^T X_d / sqrt(r),   dB += (X_d P^T)^T W / sqrt(r)
     * </pre>
     */
    public Map<String, INDArray> gradient(Inputs in, INDArray thetaGradient) {
        requireHidden(in);
        Map<String, INDArray> g = new LinkedHashMap<>();
        try (INDArray gc = thetaGradient.mul(in.cot);                                          // [R, T]
             INDArray v3 = Nd4j.matmul(gc.reshape('c', in.rows, 1, in.length),
                     in.x.reshape('c', in.rows, in.length, hidden));                            // [R, 1, D]
             INDArray q = in.xd.mmul(a.transpose())) {                                         // [R, r]
            INDArray v = v3.reshape('c', in.rows, hidden);
            double scale = 1.0 / Math.sqrt(rank);
            try (INDArray vb = v.mmul(b.transpose())) {                                        // [R, r]
                g.put(QUERY, vb.transpose().mmul(in.xd).muli(scale));
            }
            g.put(KEY, q.transpose().mmul(v).muli(scale));
            g.put(TOKEN, v.sum(0).reshape(hidden));
            g.put(ATTENTION, in.att.transpose().mmul(gc.reshape('c', (long) in.rows * in.length, 1)).reshape(features));
            g.put(BIAS, gc.sum().reshape(1));
            // the row term gamma S_j, S_j = n alpha_j: dL/dz_j = gamma S_j (g_j - (1/n) sum_i S_i g_i) for
            // alpha's logits z_j = (P x_d) . k_j / sqrt(r), which mirror the bilinear term with P for A
            try (INDArray k = in.x.mmul(b.transpose()); INDArray spread = spread(in, k);
                 INDArray pd = in.xd.mmul(p.transpose())) {                                    // [R, r]
                double[][] sv = matrix(spread), gv = matrix(gc), cv = matrix(in.cot);
                double gamma = rowGain();
                double[][] de = new double[in.rows][in.length];
                for (int r = 0; r < in.rows; r++) {
                    double n = 0, mean = 0;
                    for (int j = 0; j < in.length; j++) {
                        n += cv[r][j];
                        mean += sv[r][j] * gv[r][j];
                    }
                    mean /= Math.max(1, n);
                    for (int j = 0; j < in.length; j++) de[r][j] = gamma * sv[r][j] * (gv[r][j] - mean);
                }
                try (INDArray dE = inType(de, gc.dataType());
                     INDArray w3 = Nd4j.matmul(dE.reshape('c', in.rows, 1, in.length),
                             in.x.reshape('c', in.rows, in.length, hidden))) {                   // [R, 1, D]
                    INDArray vRow = w3.reshape('c', in.rows, hidden);
                    try (INDArray vb = vRow.mmul(b.transpose())) {                             // [R, r]
                        g.put(ROW_QUERY, vb.transpose().mmul(in.xd).muli(scale));
                    }
                    try (INDArray dk = pd.transpose().mmul(vRow)) {
                        g.get(KEY).addi(dk.muli(scale));
                    }
                    g.put(ROW_GAIN, spread.mul(gc).sum().muli(ROW_SCALE).reshape(1));
                }
            }
        }
        return g;
    }

    /**
     * The row term's {@code s_j = n alpha_j}, {@code [rows, length]}: {@code alpha} the softmax over
     * each row's {@code n} CoT cells of {@code e_j = (P x_d) . k_j / sqrt(r)}; 1 on every CoT cell
     * when attention is even, 0 off the CoT. {@code k} is {@code B x} {@code [rows * length, r]}.
     */
    private INDArray spread(Inputs in, INDArray k) {
        double[][] e, cv = matrix(in.cot);
        try (INDArray pd = in.xd.mmul(p.transpose());                                          // [R, r]
             INDArray e3 = Nd4j.matmul(k.reshape('c', in.rows, in.length, rank), pd.reshape('c', in.rows, rank, 1))) {
            e = matrix(e3.reshape('c', in.rows, in.length));
        }
        double scale = 1.0 / Math.sqrt(rank);
        double[][] s = new double[in.rows][in.length];
        for (int r = 0; r < in.rows; r++) {
            double max = Double.NEGATIVE_INFINITY, n = 0, sum = 0;
            for (int j = 0; j < in.length; j++) {
                if (cv[r][j] != 0) {
                    max = Math.max(max, e[r][j] * scale);
                    n++;
                }
            }
            for (int j = 0; j < in.length; j++) {
                if (cv[r][j] != 0) sum += (s[r][j] = Math.exp(e[r][j] * scale - max));
            }
            for (int j = 0; j < in.length; j++) s[r][j] = sum > 0 ? n * s[r][j] / sum : 0;
        }
        return inType(s, in.x.dataType());
    }

    /**
     * {@code a [rows, cols]} as Java rows, read in one copy: ND4J's {@code toDoubleMatrix} builds a
     * row view per row, and on the head's {@code [rows, length]} arrays that took longer than the
     * head's products (async-profiler, the demo's task step).
     */
    private static double[][] matrix(INDArray a) {
        int rows = (int) a.size(0), cols = (int) a.size(1);
        double[] flat;
        try (INDArray c = a.dup('c')) {
            flat = c.data().asDouble();
        }
        double[][] m = new double[rows][];
        for (int r = 0; r < rows; r++) m[r] = Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        return m;
    }

    private static INDArray inType(double[][] v, DataType dtype) {
        INDArray d = Nd4j.create(v);
        if (d.dataType() == dtype) return d;
        try (d) {
            return d.castTo(dtype);
        }
    }

    private void requireHidden(Inputs in) {
        if (in.x.size(1) != hidden || in.att.size(1) != features) {
            throw new IllegalArgumentException("the mask network reads hidden size " + hidden + " and " + features
                    + " attention features but the model gives " + in.x.size(1) + " and " + in.att.size(1));
        }
    }

    @Override
    public void close() {
        a.close();
        b.close();
        w.close();
        u.close();
        c.close();
        p.close();
        gain.close();
    }
}
