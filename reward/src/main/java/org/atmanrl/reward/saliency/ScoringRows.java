package org.atmanrl.reward.saliency;

import java.util.List;
import java.util.function.ToDoubleFunction;
import org.atmanrl.model.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Full sequences (prompt + completion) laid out for scoring, with their spans: the answer cells
 * whose log-probabilities make {@code l}, and the CoT key cells the mask acts on. Cell {@code t}
 * of a row holds token {@code t} (a key for later queries) and predicts token {@code t + 1}.
 */
final class ScoringRows {
    final TokenBatch batch;
    /**
     * {@link #batch} with targets on the answer cells only: the passes that read nothing but the
     * answer's log-likelihood run on it, and their last layer computes those cells alone
     * ({@code LlamaModel.forwardAtTargets}, docs/design.md 2.2, "Target cells only").
     */
    final TokenBatch answers;
    final List<int[]> sequences;
    final List<CompletionSpans> spans;
    final int rows;
    final int length;

    ScoringRows(List<int[]> sequences, List<CompletionSpans> spans) {
        if (sequences.size() != spans.size()) {
            throw new IllegalArgumentException(sequences.size() + " sequences but " + spans.size() + " spans");
        }
        for (int i = 0; i < sequences.size(); i++) {
            if (spans.get(i).answerEnd() != sequences.get(i).length) {
                throw new IllegalArgumentException("sequence " + i + " has " + sequences.get(i).length
                        + " tokens but its answer span ends at " + spans.get(i).answerEnd());
            }
        }
        this.batch = TokenBatch.forScoring(sequences);
        this.answers = answerTargetsOnly(batch, spans, 0);
        this.sequences = List.copyOf(sequences);
        this.spans = List.copyOf(spans);
        this.rows = batch.batch();
        this.length = batch.length();
    }

    /** The first {@code n} rows as rows of their own (their length the longest of them). */
    ScoringRows firstRows(int n) {
        return n == rows ? this : new ScoringRows(sequences.subList(0, n), spans.subList(0, n));
    }

    /**
     * Cells per row before anything the fit biases (CoT keys) or scores (answer cells), in every
     * row: the smallest CoT start and first answer cell. Their activations are the same in every
     * pass of the fit (docs/design.md 2.2, "Prefix reuse"); 0 when some row has none.
     */
    int unbiasedPrefixLength() {
        int p = length;
        for (CompletionSpans s : spans) {
            p = Math.min(p, Math.min(s.cotStart(), s.answerStart() - 1));
        }
        return p;
    }

    /** Per row, the answer log-likelihood: the sum of log p over the answer tokens. */
    double[] answerLogLikelihood(double[] logProbs) {
        double[] l = new double[rows];
        for (int r = 0; r < rows; r++) {
            CompletionSpans s = spans.get(r);
            for (int t = s.answerStart() - 1; t < s.answerEnd() - 1; t++) {
                l[r] += logProbs[r * length + t];
            }
        }
        return l;
    }

    /**
     * The rows with their CoT cut out, for l_none at epsilon 0 (docs/design.md 2.2): prompt, delimiter
     * and answer, laid out as {@link TokenBatch#forScoring} lays out the rows (cell {@code t} holds
     * token {@code t} and predicts {@code t + 1}), but every token after the CoT keeps its original
     * position, so the delimiter and answer stay as far from the prompt as they were. Cells before
     * each row's CoT are the rows' own cells, so a prompt prefix of the rows serves this batch too.
     */
    TokenBatch withoutCot() {
        int len = 0;
        for (CompletionSpans s : spans) len = Math.max(len, s.answerEnd() - s.cotLength() - 1);
        int n = rows * len;
        int[] ids = new int[n], pos = new int[n], tgt = new int[n];
        boolean[] valid = new boolean[n];
        for (int r = 0; r < rows; r++) {
            int[] seq = sequences.get(r);
            CompletionSpans s = spans.get(r);
            int cut = s.cotLength(), kept = seq.length - cut;
            for (int t = 0; t < len; t++) {
                int i = r * len + t;
                int at = t < s.cotStart() ? t : t + cut; // the token's index, and position, in the full row
                pos[i] = at;
                if (t < kept - 1) {
                    ids[i] = seq[at];
                    tgt[i] = seq[t + 1 < s.cotStart() ? t + 1 : t + 1 + cut];
                    valid[i] = true;
                } else {
                    tgt[i] = TokenBatch.IGNORE;
                }
            }
        }
        return answerTargetsOnly(new TokenBatch(rows, len, ids, pos, valid, tgt), spans, -1);
    }

    /**
     * {@code tb} with every target but the answer cells' dropped; {@code cutCot} 0 for the rows as
     * they are, -1 for {@link #withoutCot()}'s (each row's answer cells moved left by its CoT length).
     */
    private static TokenBatch answerTargetsOnly(TokenBatch tb, List<CompletionSpans> spans, int cutCot) {
        int n = tb.tokens(), len = tb.length();
        int[] ids = new int[n], pos = new int[n], tgt = new int[n];
        boolean[] valid = new boolean[n];
        java.util.Arrays.fill(tgt, TokenBatch.IGNORE);
        for (int r = 0; r < tb.batch(); r++) {
            CompletionSpans s = spans.get(r);
            for (int t = 0; t < len; t++) {
                ids[r * len + t] = tb.id(r, t);
                pos[r * len + t] = tb.position(r, t);
                valid[r * len + t] = tb.valid(r, t);
            }
            int shift = cutCot < 0 ? s.cotLength() : 0;
            for (int t = s.answerStart() - 1 - shift; t < s.answerEnd() - 1 - shift; t++) {
                tgt[r * len + t] = tb.target(r, t);
            }
        }
        return new TokenBatch(tb.batch(), len, ids, pos, valid, tgt);
    }

    /** Per row, the answer log-likelihood from the log-probabilities of {@link #withoutCot()}'s cells. */
    double[] answerLogLikelihoodWithoutCot(double[] logProbs, int cutLength) {
        double[] l = new double[rows];
        for (int r = 0; r < rows; r++) {
            CompletionSpans s = spans.get(r);
            for (int t = s.answerStart() - 1; t < s.answerEnd() - 1; t++) {
                l[r] += logProbs[r * cutLength + t - s.cotLength()];
            }
        }
        return l;
    }

    /** Cell weights {@code scale / |a|} on each row's answer cells (the mean answer log-likelihood). */
    double[] answerMeanWeights(double scale) {
        return answerWeights(s -> scale / s.answerLength());
    }

    /** Cell weights 1 on each row's answer cells: the gradient of {@code l} itself, the sum. */
    double[] answerSumWeights() {
        return answerWeights(s -> 1);
    }

    private double[] answerWeights(ToDoubleFunction<CompletionSpans> perCell) {
        double[] w = new double[rows * length];
        for (int r = 0; r < rows; r++) {
            CompletionSpans s = spans.get(r);
            double v = perCell.applyAsDouble(s);
            for (int t = s.answerStart() - 1; t < s.answerEnd() - 1; t++) {
                w[r * length + t] = v;
            }
        }
        return w;
    }

    /** 1 on each row's CoT key cells, 0 elsewhere, {@code [rows, length]}. */
    INDArray cotMask(DataType dtype) {
        double[] m = new double[rows * length];
        for (int r = 0; r < rows; r++) {
            CompletionSpans s = spans.get(r);
            for (int p = s.cotStart(); p < s.cotEnd(); p++) m[r * length + p] = 1;
        }
        return Nd4j.create(m, new long[] {rows, length}, 'c').castTo(dtype);
    }

    /** {@code 1 / n} per row (0 for an empty CoT), {@code [rows, 1]}: the mean over the CoT. */
    INDArray inverseCotLengths(DataType dtype) {
        double[] inv = new double[rows];
        for (int r = 0; r < rows; r++) {
            int n = spans.get(r).cotLength();
            inv[r] = n == 0 ? 0 : 1.0 / n;
        }
        return Nd4j.create(inv, new long[] {rows, 1}, 'c').castTo(dtype);
    }

    /**
     * Per row, the cell of the delimiter's last token: it predicts the first answer token, so its
     * state has read the whole CoT (the mask network's query, docs/design.md 2.6).
     */
    int[] delimiterCells() {
        int[] cells = new int[rows];
        for (int r = 0; r < rows; r++) cells[r] = spans.get(r).answerStart() - 1;
        return cells;
    }

    /** Weights {@code 1 / |a|} on each row's answer cells (the queries that read the CoT), {@code [rows, length]}. */
    INDArray answerQueryWeights(DataType dtype) {
        return Nd4j.create(answerMeanWeights(1), new long[] {rows, length}, 'c').castTo(dtype);
    }

    /**
     * Per cell {@code [rows * length, 1]}, its row's length in cells: attention spread evenly over
     * a row's keys reads 1 after scaling by it (the mask network's attention features).
     */
    INDArray rowLengthPerCell(DataType dtype) {
        double[] n = new double[rows * length];
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(n, r * length, (r + 1) * length, spans.get(r).answerEnd() - 1);
        }
        return Nd4j.create(n, new long[] {(long) rows * length, 1}, 'c').castTo(dtype);
    }

    /** The values of {@code a [rows, length]} on row {@code r}'s CoT cells. */
    double[] onCot(INDArray a, int r) {
        CompletionSpans s = spans.get(r);
        double[] out = new double[s.cotLength()];
        for (int p = s.cotStart(); p < s.cotEnd(); p++) out[p - s.cotStart()] = a.getDouble(r, p);
        return out;
    }
}
