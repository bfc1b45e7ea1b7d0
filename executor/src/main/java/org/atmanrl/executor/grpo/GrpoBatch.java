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
    private final List<int[]> prompts, completions;
    private final TokenBatch tokens;
    private final int[] firstCell;
    private final int[] completionLength;

    private GrpoBatch(List<int[]> prompts, List<int[]> completions, TokenBatch tokens, int[] firstCell,
                      int[] completionLength) {
        this.prompts = prompts;
        this.completions = completions;
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
        return new GrpoBatch(List.copyOf(prompts), List.copyOf(completions), tb, start, len);
    }

    /**
     * Rows {@code [from, to)} as a batch of their own, padded only to their own longest row (a
     * micro-batch, docs/design.md 6.1). Row {@code i} of the part is row {@code from + i} here, with
     * the same tokens in the same cells of its row; only the row length (padding) may differ.
     */
    public GrpoBatch rows(int from, int to) {
        if (from < 0 || to > completions() || from >= to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + completions());
        }
        return of(prompts.subList(from, to), completions.subList(from, to));
    }

    /**
     * A per-cell array of this batch (such as old or reference log-probabilities) cut to the part
     * {@code rows(from, from + part.completions())}: each part row gets the first
     * {@code part.length} cells of its row here, which hold all of the row's tokens (the rest is
     * padding in both).
     */
    public double[] cellsOfPart(double[] perCell, int from, GrpoBatch part) {
        double[] out = new double[part.cells()];
        copyRows(perCell, tokens.length(), from, out, part.tokens.length(), 0, part.completions(), part.tokens.length());
        return out;
    }

    /** The inverse of {@link #cellsOfPart}: writes the part's per-cell values into this batch's {@code perCell}. */
    public void putPart(double[] partCells, GrpoBatch part, int from, double[] perCell) {
        copyRows(partCells, part.tokens.length(), 0, perCell, tokens.length(), from, part.completions(),
                part.tokens.length());
    }

    /** {@code rows} rows of {@code cells} cells each, from rows of {@code srcLength} to rows of {@code dstLength}. */
    private static void copyRows(double[] src, int srcLength, int srcRow, double[] dst, int dstLength, int dstRow,
                                 int rows, int cells) {
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, (srcRow + r) * srcLength, dst, (dstRow + r) * dstLength, cells);
        }
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
