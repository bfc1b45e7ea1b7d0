package org.atmanrl.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The LM head and log-softmax over chunks of cells, so that no {@code [cells, vocab]} array exists
 * for a whole pass (docs/design.md 6.1, "The LM head in chunks"). The forward keeps, per cell, log Z
 * in its two parts (the max logit and the sum of {@code exp(logit - max)}); the backward recomputes
 * each chunk's logits from the hidden states, and from those two parts the same softmax the
 * forward had. Chunks run in cell order, so the accumulated gradients are deterministic.
 */
final class LmHead {
    /** At most this many bytes of logits per chunk (32 MiB: 1,024 cells at vocab 8,192 in fp32)... */
    static final long CHUNK_BYTES = 32L << 20;
    /**
     * ...but never fewer cells than this: every chunk's GEMM reads all the head's weights (1 GB for
     * Llama 3's vocab 128,256 at hidden 2,048 in fp32), and 128 cells do 64 flops per byte read.
     */
    static final int MIN_CHUNK_CELLS = 128;

    private LmHead() {}

    /** Cells per chunk for this vocabulary and data type. */
    static int chunkCells(int vocab, DataType dt) {
        return (int) Math.max(MIN_CHUNK_CELLS, CHUNK_BYTES / ((long) vocab * dt.width()));
    }

    /** log Z per cell as {@code max + log(sum)}: the max logit and the sum of {@code exp(logit - max)}, {@code [N, 1]} each. */
    record LogZ(INDArray max, INDArray sum) {
        void release() {
            Arrays2.release(max, sum);
        }
    }

    /** {@code log p(target)} per cell (0 where there is no target) and the log Z the backward needs. */
    record Forward(double[] logProbs, LogZ logZ) {}

    /**
     * Log-probabilities of {@code targets} under {@code softmax(hn W^T)}. Written as max, subtract,
     * exp, sum because ND4J M2.1's LogSoftMax op is 4x slower on [2048, 8192] (142 ms against 35 ms).
     *
     * @param hn    final hidden states {@code [N, D]}
     * @param stored the head's weight {@code [V, D]}, fp32 or bf16
     * @param chunk cells per chunk
     */
    static Forward forward(INDArray hn, INDArray stored, int[] targets, int chunk) {
        int n = targets.length;
        // a bf16 head is widened once for all chunks (docs/design.md 3.4, "bf16 storage")
        INDArray w = StoredWeights.fp32(stored);
        DataType dt = hn.dataType();
        INDArray max = Nd4j.create(dt, n, 1);
        INDArray sum = Nd4j.create(dt, n, 1);
        double[] lp = new double[n];
        for (int a = 0; a < n; a += chunk) {
            int b = Math.min(n, a + chunk);
            INDArray logits = Linear.forward(rows(hn, a, b), w);
            INDArray m = logits.max(true, 1);
            logits.subiColumnVector(m);
            double[] shifted = targetEntries(logits, targets, a);
            INDArray s = Transforms.exp(logits, false).sum(true, 1);
            double[] z = s.data().asDouble();
            for (int i = a; i < b; i++) {
                if (targets[i] != TokenBatch.IGNORE) lp[i] = shifted[i - a] - Math.log(z[i - a]);
            }
            rows(max, a, b).assign(m);
            rows(sum, a, b).assign(s);
            Arrays2.release(logits, m, s);
        }
        return new Forward(lp, new LogZ(max, sum));
    }

    /**
     * Gradient of {@code sum_i weights[i] * log p(targets[i])} with respect to {@code hn}, {@code
     * [N, D]}; adds the head weight's gradient to {@code dW} when given.
     */
    static INDArray backward(INDArray hn, INDArray stored, LogZ logZ, int[] targets, double[] weights, INDArray dW, int chunk) {
        int n = targets.length;
        INDArray w = StoredWeights.fp32(stored);
        INDArray dhn = Nd4j.create(hn.dataType(), n, hn.size(1));
        for (int a = 0; a < n; a += chunk) {
            int b = Math.min(n, a + chunk);
            INDArray h = rows(hn, a, b);
            INDArray dLogits = Linear.forward(h, w);
            dLogits.subiColumnVector(rows(logZ.max(), a, b));
            Transforms.exp(dLogits, false).diviColumnVector(rows(logZ.sum(), a, b));
            // d/dlogits of w * log softmax(logits)[y] = w * (onehot(y) - softmax)
            double[] cw = java.util.Arrays.copyOfRange(weights, a, b);
            INDArray negW = Nd4j.create(cw, new long[] {b - a, 1}, 'c');
            INDArray negWdt = negW.castTo(dLogits.dataType()).negi();
            dLogits.muliColumnVector(negWdt);
            addAtTargets(dLogits, targets, a, cw);
            if (dW != null) {
                Linear.accumulateWeightGradient(dLogits, h, dW);
            }
            INDArray d = Linear.inputGradient(dLogits, w, null);
            rows(dhn, a, b).assign(d);
            Arrays2.release(dLogits, negW, negWdt, d);
        }
        return dhn;
    }

    /** Rows {@code [a, b)} of a c-order matrix: a view. */
    private static INDArray rows(INDArray x, int a, int b) {
        return x.get(NDArrayIndex.interval(a, b), NDArrayIndex.all());
    }

    /*
     * The next two read and write each chunk row's target entry with one gather or scatter over
     * the flat chunk instead of a getDouble/putScalar per cell: on a GPU each of those is a device
     * sync (docs/design.md 6.1). A cell without a target points at column 0 and reads or adds 0.
     */

    /** {@code chunk[i, targets[a + i]]} per row. */
    private static double[] targetEntries(INDArray chunk, int[] targets, int a) {
        INDArray idx = flatTargetIndices(chunk, targets, a);
        INDArray out = Nd4j.exec(DynamicCustomOp.builder("gather")
                .addInputs(flat(chunk), idx).addIntegerArguments(0).build())[0];
        double[] v = out.data().asDouble();
        Arrays2.release(idx, out);
        return v;
    }

    /** {@code chunk[i, targets[a + i]] += add[i]} per row. */
    private static void addAtTargets(INDArray chunk, int[] targets, int a, double[] add) {
        INDArray idx = flatTargetIndices(chunk, targets, a);
        INDArray upd = Nd4j.createFromArray(add);
        INDArray updDt = upd.castTo(chunk.dataType());
        INDArray f = flat(chunk);
        // scatter_add writes to its output, so the chunk is named as both input and output; the
        // indices are one per row, all distinct, so the result does not depend on their order.
        Nd4j.exec(DynamicCustomOp.builder("scatter_add").addInputs(f, idx, updDt).addOutputs(f).build());
        Arrays2.release(idx, upd, updDt);
    }

    /** {@code i * V + targets[a + i]} for the chunk's rows (0 when there is no target). */
    private static INDArray flatTargetIndices(INDArray chunk, int[] targets, int a) {
        int rows = (int) chunk.size(0);
        long vocab = chunk.size(1);
        long[] idx = new long[rows];
        for (int i = 0; i < rows; i++) {
            int t = targets[a + i];
            idx[i] = i * vocab + (t == TokenBatch.IGNORE ? 0 : t);
        }
        return Nd4j.createFromArray(idx);
    }

    /** A dense c-order matrix as a vector: a view of its buffer. */
    private static INDArray flat(INDArray chunk) {
        return chunk.reshape('c', new long[] {chunk.length()});
    }
}
