package org.atmanrl.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * KV-cached batched generation. Prompts of different lengths are left-padded into one prefill;
 * then each step feeds one token per row. Row {@code r}'s draw at step {@code s} is
 * {@link RowRandom#uniform}{@code (seed, rowKeys[r], s)}, so a row's tokens do not depend on its
 * batch companions. Per step the model runs one batched forward; only the choice of token from
 * the {@code [B, vocab]} logits is per-row Java code.
 */
public final class Sampler {
    private Sampler() {}

    /** Generated tokens per row (a stop token, when hit, is the last one). */
    public static List<int[]> generate(LlamaModel model, List<int[]> prompts, long[] rowKeys, long seed,
                                       SamplingParams p) {
        if (prompts.size() == 1) { // one row's GEMVs are too small to split over threads (BlasThreads)
            return BlasThreads.oneRow(model, () -> generateRows(model, prompts, rowKeys, seed, p));
        }
        return generateRows(model, prompts, rowKeys, seed, p);
    }

    private static List<int[]> generateRows(LlamaModel model, List<int[]> prompts, long[] rowKeys, long seed,
                                            SamplingParams p) {
        int b = prompts.size();
        if (rowKeys.length != b) {
            throw new IllegalArgumentException(b + " prompts but " + rowKeys.length + " row keys");
        }
        if (b == 0) {
            return List.of();
        }
        TokenBatch prefill = TokenBatch.leftPadded(prompts);
        int longest = prefill.length();
        if ((long) longest + p.maxNewTokens() > model.config().maxPositionEmbeddings()) { // long: cannot wrap
            throw new IllegalArgumentException("prompt of " + longest + " tokens + " + p.maxNewTokens()
                    + " new tokens exceeds max_position_embeddings " + model.config().maxPositionEmbeddings());
        }
        int vocab = model.config().vocabSize();
        int[][] out = new int[b][p.maxNewTokens()];
        int[] produced = new int[b];
        boolean[] done = new boolean[b];
        try (KvCache cache = model.newCache(b, longest + p.maxNewTokens())) {
            INDArray logits = model.nextTokenLogits(prefill, cache);
            for (int step = 0; step < p.maxNewTokens(); step++) {
                float[] l = logits.data().asFloat();
                logits.close();
                int[] ids = new int[b], pos = new int[b];
                boolean[] valid = new boolean[b];
                int active = 0;
                for (int r = 0; r < b; r++) {
                    if (done[r]) continue;
                    int tok = pick(l, r * vocab, vocab, p, RowRandom.uniform(seed, rowKeys[r], step));
                    out[r][produced[r]++] = tok;
                    done[r] = p.isStop(tok) || produced[r] == p.maxNewTokens();
                    ids[r] = tok;
                    pos[r] = prompts.get(r).length + step;
                    valid[r] = true;
                    if (!done[r]) active++;
                }
                if (active == 0) break;
                logits = model.nextTokenLogits(new TokenBatch(b, 1, ids, pos, valid, null), cache);
            }
        }
        List<int[]> result = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            result.add(Arrays.copyOf(out[r], produced[r]));
        }
        return result;
    }

    /** Picks a token from one row's logits {@code l[off, off + vocab)} with the uniform draw {@code u}. */
    static int pick(float[] l, int off, int vocab, SamplingParams p, double u) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (l[off + i] > l[off + best]) best = i;
        }
        if (p.temperature() == 0) {
            return best;
        }
        double max = l[off + best], invT = 1.0 / p.temperature();
        double[] prob = new double[vocab];
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            prob[i] = Math.exp((l[off + i] - max) * invT);
            sum += prob[i];
        }
        boolean topK = p.topK() > 0 && p.topK() < vocab;
        if (!topK && p.topP() == 1) {
            return draw(prob, null, vocab, sum, u);
        }
        // Candidates in descending probability, ties by ascending id. Without top-k only tokens
        // above tau are sorted: the others weigh at most vocab * tau = (1 - top_p) / 2 of the mass,
        // so the nucleus lies wholly among the sorted ones.
        long[] keys;
        int n = 0;
        if (topK) {
            keys = smallestKeys(l, off, vocab, p.topK());
            n = keys.length;
        } else {
            double tau = sum * (1 - p.topP()) / (2.0 * vocab);
            keys = new long[vocab];
            for (int i = 0; i < vocab; i++) {
                if (prob[i] > tau) {
                    keys[n++] = key(l[off + i], i);
                }
            }
            Arrays.sort(keys, 0, n);
        }
        int[] cand = new int[n];
        double kept = 0;
        for (int i = 0; i < n; i++) {
            cand[i] = (int) keys[i];
            kept += prob[cand[i]];
        }
        if (p.topP() < 1) {
            double need = p.topP() * kept, acc = 0;
            int m = 0;
            while (m < n && acc < need) acc += prob[cand[m++]];
            n = m;
            kept = acc;
        }
        return draw(prob, cand, n, kept, u);
    }

    /** Inverse CDF over {@code cand[0, n)} (or ids {@code [0, n)} when {@code cand} is null). */
    private static int draw(double[] prob, int[] cand, int n, double mass, double u) {
        double target = u * mass, acc = 0;
        int id = 0;
        for (int i = 0; i < n; i++) {
            id = cand == null ? i : cand[i];
            acc += prob[id];
            if (acc > target && prob[id] > 0) return id;
        }
        return id; // rounding put u * mass at the very top
    }

    /** Sorts before every key of a less likely token, and of an equally likely token of higher id. */
    private static long key(float logit, int id) {
        return ((long) descending(logit) << 32) | id;
    }

    /**
     * The {@code k} smallest {@link #key}s of the row, ascending: the top-k candidates in the order
     * a sort of the whole vocabulary gives them (keys are distinct), in O(vocab log k) through a
     * max-heap of {@code k} instead of O(vocab log vocab) (docs/design.md 6.1, "Decoding").
     */
    static long[] smallestKeys(float[] l, int off, int vocab, int k) {
        long[] heap = new long[k];
        for (int i = 0; i < vocab; i++) {
            long key = key(l[off + i], i);
            if (i < k) {
                int c = i; // sift up
                while (c > 0 && heap[(c - 1) / 2] < key) {
                    heap[c] = heap[(c - 1) / 2];
                    c = (c - 1) / 2;
                }
                heap[c] = key;
            } else if (key < heap[0]) {
                int c = 0; // replace the largest, sift down
                while (true) {
                    int child = 2 * c + 1;
                    if (child >= k) break;
                    if (child + 1 < k && heap[child + 1] > heap[child]) child++;
                    if (heap[child] <= key) break;
                    heap[c] = heap[child];
                    c = child;
                }
                heap[c] = key;
            }
        }
        Arrays.sort(heap);
        return heap;
    }

    /** An int that orders floats descending under signed comparison. */
    private static int descending(float f) {
        int bits = Float.floatToIntBits(f);
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff);
        return ~ascending;
    }
}
