package org.atmanrl.driver.step;

/**
 * The steps in a row whose policy update was skipped for a NaN or infinite gradient, and the one
 * rule for them in every way of running a step: a run stops when more than {@code max} steps in a
 * row were skipped ({@code optimizer.max_skipped_steps}); fewer are logged and passed over.
 */
public record SkipStreak(int inARow, int max) {
    public SkipStreak {
        if (inARow < 0 || max < 0) {
            throw new IllegalArgumentException("a skip streak needs inARow >= 0 and max >= 0, got " + inARow + ", " + max);
        }
    }

    /** No step skipped yet. */
    public static SkipStreak none(int max) {
        return new SkipStreak(0, max);
    }

    /** The streak after a step whose update was, or was not, skipped. */
    public SkipStreak after(boolean skipped) {
        return new SkipStreak(skipped ? inARow + 1 : 0, max);
    }

    /** Whether the run must stop. */
    public boolean exceeded() {
        return inARow > max;
    }

    /**
     * Why a run whose streak was exceeded at 0-based {@code step} stops, in one line: which steps
     * had no finite gradient and which weights the run holds (those after the last good step).
     */
    public String stopMessage(long step) {
        long first = step + 2 - inARow, lastGood = step + 1 - inARow; // 1-based, as metrics.jsonl counts
        return "stopped at step " + (step + 1) + ": " + inARow + " steps in a row ("
                + (inARow == 1 ? "step " + first : "steps " + first + "-" + (step + 1)) + ") had a NaN or infinite"
                + " gradient, more than optimizer.max_skipped_steps " + max
                + "; their updates were skipped, so the weights and optimizer are "
                + (lastGood == 0 ? "the starting ones" : "those after step " + lastGood);
    }
}
