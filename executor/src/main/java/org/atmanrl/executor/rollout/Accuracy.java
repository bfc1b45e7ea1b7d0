package org.atmanrl.executor.rollout;

/** Outcome counts of a set of completions: correct, parsed (an answer was found), all. */
public record Accuracy(int correct, int parsed, int total) {
    public double value() {
        return total == 0 ? 0 : (double) correct / total;
    }

    public double parsedShare() {
        return total == 0 ? 0 : (double) parsed / total;
    }

    @Override
    public String toString() {
        return String.format("%.1f%% (%d/%d, %d unparsed)", 100 * value(), correct, total, total - parsed);
    }
}
