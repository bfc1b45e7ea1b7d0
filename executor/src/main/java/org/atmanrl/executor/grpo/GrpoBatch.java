package org.atmanrl.executor.grpo;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.TokenBatch;

/**
 * Completions laid out for scoring: row {@code i} is {@code prompt_i ++ completion_i}, right-padded
 * ({@link TokenBatch#forScoring}), and completion token {@code k} of row {@code i} is the target of
 * cell {@code i·length + promptLength_i − 1 + k}. Only those cells carry loss; prompt and padding
 * cells get weight 0. Rows are in reward order, so groups are runs of {@code G} consecutive rows.
 */
public final class GrpoBatch {
    private final TokenBatch tokens;
    private final int[] firstCell;
    private final int[] completionLength;

    private GrpoBatch(TokenBatch tokens, int[] firstCell, int[] completionLength) {
        this.tokens = tokens;
        this.firstCell = firstCell;
        this.completionLength = completionLength;
    }

    /** One row per (prompt, completion) pair; each prompt and each completion needs at least one token. */
    public static GrpoBatch of(List<int[]> prompts, List<int[]> completions) {
        if (prompts.size() != completions.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + completions.size() + " completions");
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one completion");
        }
        int n = prompts.size();
        List<int[]> rows = new ArrayList<>(n);
        int[] start = new int[n];
        int[] len = new int[n];
        for (int i = 0; i < n; i++) {
            int[] p = prompts.get(i), c = completions.get(i);
            if (p.length == 0 || c.length == 0) {
                throw new IllegalArgumentException("row " + i + ": prompt and completion need at least one token each, got "
                        + p.length + " and " + c.length);
            }
            int[] row = new int[p.length + c.length];
            System.arraycopy(p, 0, row, 0, p.length);
            System.arraycopy(c, 0, row, p.length, c.length);
            rows.add(row);
            start[i] = p.length - 1;
            len[i] = c.length;
        }
        TokenBatch tb = TokenBatch.forScoring(rows);
        for (int i = 0; i < n; i++) start[i] += i * tb.length();
        return new GrpoBatch(tb, start, len);
    }

    /** The grid to run the policy (and the old and reference models) on. */
    public TokenBatch tokens() { return tokens; }
    public int completions() { return firstCell.length; }
    /** Flat index of the cell whose target is completion {@code i}'s first token. */
    public int firstCell(int i) { return firstCell[i]; }
    public int completionLength(int i) { return completionLength[i]; }
    public int cells() { return tokens.tokens(); }

    /** Per cell, whether its target is a completion token. */
    public boolean[] completionMask() {
        boolean[] m = new boolean[cells()];
        for (int i = 0; i < firstCell.length; i++) {
            for (int k = 0; k < completionLength[i]; k++) m[firstCell[i] + k] = true;
        }
        return m;
    }

    /** Completion {@code i}'s per-token values, read out of a per-cell array such as log-probabilities. */
    public double[] completionValues(double[] perCell, int i) {
        double[] out = new double[completionLength[i]];
        System.arraycopy(perCell, firstCell[i], out, 0, out.length);
        return out;
    }
}
