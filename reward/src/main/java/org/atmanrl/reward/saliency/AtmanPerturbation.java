package org.atmanrl.reward.saliency;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.LlamaModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The exhaustive AtMan reference of docs/design.md 2.2: suppress one CoT token at a time (bias log
 * f on that key) and record how much the answer log-likelihood drops, {@code l_full - l_-j}. One
 * row per (completion, token), batched; slow (n forward passes' worth per completion), for reports
 * and validation, not for training.
 */
public final class AtmanPerturbation {
    private AtmanPerturbation() {
    }

    /** Per completion, the drop for each of its CoT tokens. */
    public static List<double[]> drops(LlamaModel model, List<int[]> sequences, List<CompletionSpans> spans,
                                       double factor, int maxRowsPerPass) {
        List<double[]> out = new ArrayList<>();
        // rows: (completion i, token j); a completion's rows may span passes
        List<int[]> rowSeqs = new ArrayList<>();
        List<CompletionSpans> rowSpans = new ArrayList<>();
        List<int[]> owner = new ArrayList<>();
        for (int i = 0; i < sequences.size(); i++) {
            out.add(new double[spans.get(i).cotLength()]);
            for (int j = 0; j < spans.get(i).cotLength(); j++) {
                rowSeqs.add(sequences.get(i));
                rowSpans.add(spans.get(i));
                owner.add(new int[] {i, j});
            }
        }
        double[] lFull = new double[sequences.size()];
        for (int from = 0; from < sequences.size(); from += maxRowsPerPass) {
            int to = Math.min(sequences.size(), from + maxRowsPerPass);
            ScoringRows rows = new ScoringRows(sequences.subList(from, to), spans.subList(from, to));
            double[] l = rows.answerLogLikelihood(model.logProbsAtTargets(rows.answers, null, null));
            System.arraycopy(l, 0, lFull, from, l.length);
        }
        double logF = Math.log(factor);
        for (int from = 0; from < rowSeqs.size(); from += maxRowsPerPass) {
            int to = Math.min(rowSeqs.size(), from + maxRowsPerPass);
            ScoringRows rows = new ScoringRows(rowSeqs.subList(from, to), rowSpans.subList(from, to));
            double[] b = new double[rows.rows * rows.length];
            for (int r = 0; r < rows.rows; r++) {
                int[] o = owner.get(from + r);
                b[r * rows.length + spans.get(o[0]).cotStart() + o[1]] = logF;
            }
            try (INDArray bias = Nd4j.create(b, new long[] {rows.rows, rows.length}, 'c').castTo(model.dataType())) {
                double[] l = rows.answerLogLikelihood(model.logProbsAtTargets(rows.answers, bias, null));
                for (int r = 0; r < rows.rows; r++) {
                    int[] o = owner.get(from + r);
                    out.get(o[0])[o[1]] = lFull[o[0]] - l[r];
                }
            }
        }
        return out;
    }
}
