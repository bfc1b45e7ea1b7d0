package org.atmanrl.executor.task;

import java.util.Objects;
import org.atmanrl.model.NamedArrays;

/**
 * One task's additive share of the mask network's update (docs/design.md 2.6): the gradient sums
 * {@code sum_rows dL_row/dparams} of the mask objective over the correct completions it scored,
 * the objective summed over them, and their number. The driver adds tasks in partition order and
 * divides by the rows once, like the policy's gradient.
 */
public record MaskHeadSums(NamedArrays gradientSums, double objectiveSum, long rows) {
    public MaskHeadSums {
        Objects.requireNonNull(gradientSums, "gradientSums");
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
    }

    /** {@code this + other} in that order. */
    public MaskHeadSums plus(MaskHeadSums other) {
        return new MaskHeadSums(gradientSums.plus(other.gradientSums), objectiveSum + other.objectiveSum,
                rows + other.rows);
    }

    /** Null-tolerant {@link #plus}: a task that scored nothing sends none. */
    public static MaskHeadSums plus(MaskHeadSums a, MaskHeadSums b) {
        return a == null ? b : b == null ? a : a.plus(b);
    }

    /** The mean gradient over the rows, the one division (null when no row was scored). */
    public NamedArrays meanGradient() {
        return rows == 0 ? null : gradientSums.scaled(1.0 / rows);
    }

    public double meanObjective() {
        return rows == 0 ? Double.NaN : objectiveSum / rows;
    }
}
