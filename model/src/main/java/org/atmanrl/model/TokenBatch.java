package org.atmanrl.model;

import java.util.Arrays;
import java.util.List;

/**
 * Token sequences laid out as a {@code [batch, length]} grid, row-major, with per-cell position ids
 * (for RoPE), a validity flag (padding cells are invisible as attention keys) and, for scoring, the
 * target token each cell predicts ({@link #IGNORE} where there is none).
 *
 * <p>Right padding is used for scoring and training (every row starts at position 0); left padding
 * for sampling prompts, so that every row's next token sits in the last column.
 */
public final class TokenBatch {
    public static final int IGNORE = -1;

    private final int batch;
    private final int length;
    private final int[] ids;
    private final int[] positions;
    private final boolean[] valid;
    private final int[] targets;

    public TokenBatch(int batch, int length, int[] ids, int[] positions, boolean[] valid, int[] targets) {
        if (batch <= 0 || length <= 0) {
            throw new IllegalArgumentException("batch and length must be > 0, got " + batch + "x" + length);
        }
        int n = Math.multiplyExact(batch, length);
        if (ids.length != n || positions.length != n || valid.length != n
                || (targets != null && targets.length != n)) {
            throw new IllegalArgumentException("ids, positions, valid and targets must all have "
                    + batch + "*" + length + " = " + n + " entries");
        }
        this.batch = batch;
        this.length = length;
        this.ids = ids;
        this.positions = positions;
        this.valid = valid;
        this.targets = targets;
    }

    /**
     * Rows for scoring: cell {@code t} of row {@code b} holds token {@code seq[t]} and predicts
     * {@code seq[t + 1]}, so the result's log-probability at (b, t) is {@code log p(seq[t+1] | seq[..t])}.
     * Each sequence needs at least two tokens.
     */
    public static TokenBatch forScoring(List<int[]> sequences) {
        int b = sequences.size();
        int len = 0;
        for (int[] s : sequences) {
            if (s.length < 2) {
                throw new IllegalArgumentException("a scored sequence needs at least 2 tokens, got " + s.length);
            }
            len = Math.max(len, s.length - 1);
        }
        int n = b * len;
        int[] ids = new int[n], pos = new int[n], tgt = new int[n];
        boolean[] valid = new boolean[n];
        for (int r = 0; r < b; r++) {
            int[] s = sequences.get(r);
            for (int t = 0; t < len; t++) {
                int i = r * len + t;
                pos[i] = t;
                if (t < s.length - 1) {
                    ids[i] = s[t];
                    tgt[i] = s[t + 1];
                    valid[i] = true;
                } else {
                    tgt[i] = IGNORE;
                }
            }
        }
        return new TokenBatch(b, len, ids, pos, valid, tgt);
    }

    /** Prompts aligned to the right, so each row's last prompt token is in the last column. */
    public static TokenBatch leftPadded(List<int[]> prompts) {
        int b = prompts.size();
        int len = 0;
        for (int[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("a prompt needs at least one token");
            }
            len = Math.max(len, p.length);
        }
        int n = b * len;
        int[] ids = new int[n], pos = new int[n];
        boolean[] valid = new boolean[n];
        for (int r = 0; r < b; r++) {
            int[] p = prompts.get(r);
            int pad = len - p.length;
            for (int t = pad; t < len; t++) {
                int i = r * len + t;
                ids[i] = p[t - pad];
                pos[i] = t - pad;
                valid[i] = true;
            }
        }
        return new TokenBatch(b, len, ids, pos, valid, null);
    }

    public int batch() { return batch; }
    public int length() { return length; }
    public int tokens() { return batch * length; }
    public int id(int b, int t) { return ids[b * length + t]; }
    public int position(int b, int t) { return positions[b * length + t]; }
    public boolean valid(int b, int t) { return valid[b * length + t]; }
    public int target(int b, int t) { return targets == null ? IGNORE : targets[b * length + t]; }
    public boolean hasTargets() { return targets != null; }

    int[] ids() { return ids; }
    int[] positions() { return positions; }
    boolean[] validFlags() { return valid; }
    int[] targets() { return targets; }

    /** Cells {@code [from, to)} of every row as a batch of their own: ids, positions, validity and targets kept. */
    TokenBatch columns(int from, int to) {
        if (from < 0 || to > length || from >= to) {
            throw new IllegalArgumentException("columns [" + from + ", " + to + ") outside [0, " + length + ")");
        }
        int len = to - from, n = batch * len;
        int[] i = new int[n], p = new int[n], tg = targets == null ? null : new int[n];
        boolean[] v = new boolean[n];
        for (int r = 0; r < batch; r++) {
            int src = r * length + from, dst = r * len;
            System.arraycopy(ids, src, i, dst, len);
            System.arraycopy(positions, src, p, dst, len);
            System.arraycopy(valid, src, v, dst, len);
            if (tg != null) System.arraycopy(targets, src, tg, dst, len);
        }
        return new TokenBatch(batch, len, i, p, v, tg);
    }

    /** Rows {@code [0, n)} as a batch of their own: ids, positions, validity and targets kept. */
    TokenBatch firstRows(int n) {
        if (n < 1 || n > batch) {
            throw new IllegalArgumentException("rows [0, " + n + ") outside [0, " + batch + "]");
        }
        int cells = n * length;
        return new TokenBatch(n, length, Arrays.copyOf(ids, cells), Arrays.copyOf(positions, cells),
                Arrays.copyOf(valid, cells), targets == null ? null : Arrays.copyOf(targets, cells));
    }

    /** A copy in which key {@code (b, t)} is hidden from every query, as padding is. */
    public TokenBatch withHidden(int b, int t) {
        boolean[] v = valid.clone();
        v[b * length + t] = false;
        return new TokenBatch(batch, length, ids, positions, v, targets);
    }
}
