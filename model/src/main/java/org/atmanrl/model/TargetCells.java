package org.atmanrl.model;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The cells of a pass that have a target, for passes that need log-probabilities there only
 * (docs/design.md 2.2, "Target cells only"). No other cell reads the last layer's output, so that
 * layer computes its queries, attention output, MLP, the final norm and the LM head at these cells
 * alone; its keys and values, which these queries read, are still every cell's.
 *
 * <p>Laid out {@code [B, Tq]}, {@code Tq} the most target cells of a row. A row with fewer fills
 * its slots with padding: a copy of one of its cells with no target, whose log-probability is
 * never read and whose gradient weight is 0, so its output and gradients are 0 and unused.
 *
 * <p>The gathers and scatter are plain loops over the buffers: ND4J's {@code scatter_add} needs
 * unique indices and its {@code pullRows} allocates outside the {@link BufferPool}.
 */
final class TargetCells {
    private final int length;
    private final int perRow;
    /** Per slot {@code b * Tq + s}: the index {@code b * T + t} of its cell among the pass's cells. */
    private final int[] cells;
    private final boolean[] padding;
    private final TokenBatch queries;

    private TargetCells(int length, int perRow, int[] cells, boolean[] padding, TokenBatch queries) {
        this.length = length;
        this.perRow = perRow;
        this.cells = cells;
        this.padding = padding;
        this.queries = queries;
    }

    /** The target cells of {@code tb}, a batch with targets. */
    static TargetCells of(TokenBatch tb) {
        int b = tb.batch(), t = tb.length();
        int perRow = 1;
        for (int r = 0; r < b; r++) {
            int n = 0;
            for (int c = 0; c < t; c++) if (tb.target(r, c) != TokenBatch.IGNORE) n++;
            perRow = Math.max(perRow, n);
        }
        int slots = b * perRow;
        int[] cells = new int[slots], ids = new int[slots], pos = new int[slots], tgt = new int[slots];
        boolean[] padding = new boolean[slots], valid = new boolean[slots];
        for (int r = 0; r < b; r++) {
            int s = 0, last = 0;
            for (int c = 0; c < t; c++) {
                if (tb.target(r, c) != TokenBatch.IGNORE) {
                    cells[r * perRow + s++] = r * t + c;
                    last = c;
                }
            }
            for (; s < perRow; s++) {
                cells[r * perRow + s] = r * t + last;
                padding[r * perRow + s] = true;
            }
        }
        for (int i = 0; i < slots; i++) {
            int r = cells[i] / t, c = cells[i] % t;
            ids[i] = tb.id(r, c);
            pos[i] = tb.position(r, c);
            valid[i] = tb.valid(r, c);
            tgt[i] = padding[i] ? TokenBatch.IGNORE : tb.target(r, c);
        }
        return new TargetCells(t, perRow, cells, padding, new TokenBatch(b, perRow, ids, pos, valid, tgt));
    }

    /** The target cells as a batch {@code [B, Tq]}: their ids, positions (for RoPE) and targets. */
    TokenBatch queries() { return queries; }

    /** Slots per row, {@code Tq}. */
    int perRow() { return perRow; }

    /** Of slot {@code i}, the cell's column {@code t} in its row of the pass. */
    int column(int i) { return cells[i] % length; }

    /** Rows {@code cells} of {@code x [B*T, D]}: a pooled {@code [B*Tq, D]} array. */
    INDArray gather(INDArray x) {
        int d = (int) x.size(1);
        INDArray src = Arrays2.flatOrCopy(x);
        INDArray out = BufferPool.take(x.dataType(), cells.length, d);
        if (x.dataType() == DataType.FLOAT) {
            FloatBuffer in = src.data().asNioFloat(), o = out.data().asNioFloat();
            for (int i = 0; i < cells.length; i++) {
                for (int j = 0; j < d; j++) o.put(i * d + j, in.get(cells[i] * d + j));
            }
        } else {
            DoubleBuffer in = src.data().asNioDouble(), o = out.data().asNioDouble();
            for (int i = 0; i < cells.length; i++) {
                for (int j = 0; j < d; j++) o.put(i * d + j, in.get(cells[i] * d + j));
            }
        }
        if (src != x) src.close();
        return out;
    }

    /** {@code all [B*T, D]} += {@code picked [B*Tq, D]} row by row, slot order (padding rows are 0). */
    void addTo(INDArray all, INDArray picked) {
        int d = (int) all.size(1);
        if (!Arrays2.flatFromStart(all)) {
            throw new IllegalArgumentException("the target of a scatter must be a dense c-order array");
        }
        INDArray src = Arrays2.flatOrCopy(picked);
        if (all.dataType() == DataType.FLOAT) {
            FloatBuffer in = src.data().asNioFloat(), o = all.data().asNioFloat();
            for (int i = 0; i < cells.length; i++) {
                if (padding[i]) continue;
                for (int j = 0; j < d; j++) o.put(cells[i] * d + j, o.get(cells[i] * d + j) + in.get(i * d + j));
            }
        } else {
            DoubleBuffer in = src.data().asNioDouble(), o = all.data().asNioDouble();
            for (int i = 0; i < cells.length; i++) {
                if (padding[i]) continue;
                for (int j = 0; j < d; j++) o.put(cells[i] * d + j, o.get(cells[i] * d + j) + in.get(i * d + j));
            }
        }
        if (src != picked) src.close();
    }

    /** Per-slot values {@code [B*Tq]} in the pass's layout {@code [B*T]}: 0 on every other cell. */
    double[] toCells(double[] slots) {
        double[] out = new double[queries.batch() * length];
        for (int i = 0; i < cells.length; i++) {
            if (!padding[i]) out[cells[i]] = slots[i];
        }
        return out;
    }

    /** The inverse of {@link #toCells}: the target cells' entries of {@code all [B*T]}, 0 on padding. */
    double[] toSlots(double[] all) {
        double[] out = new double[cells.length];
        for (int i = 0; i < cells.length; i++) {
            if (!padding[i]) out[i] = all[cells[i]];
        }
        return out;
    }
}
