package org.atmanrl.reward.data;

import java.io.Serializable;
import java.util.Objects;
import org.atmanrl.model.RowRandom;

/**
 * Which split a generated prompt belongs to, decided by a keyed 64-bit hash of the prompt's text
 * alone: a prompt is a test prompt when its hash, read as a number in [0, 1), is below {@code
 * testFraction}, and a training prompt otherwise. The assignment depends on nothing but the text,
 * the {@code key} and the fraction, so train and test problems generated under the same partition
 * never share a prompt whatever seeds, difficulties or sizes they were generated with, and a
 * prompt's split never changes between runs. Changing the key (or the fraction) gives another
 * partition; keep it fixed for the life of an experiment.
 */
public record SplitPartition(long key, double testFraction) implements Serializable {
    /** A tenth of all prompts are test prompts, under a fixed key. */
    public static final SplitPartition DEFAULT = new SplitPartition(0x41744D616E524CL, 0.1);

    public SplitPartition {
        if (!(testFraction > 0.0 && testFraction < 1.0)) {
            throw new IllegalArgumentException("testFraction must be strictly between 0 and 1 (both splits"
                    + " non-empty), not " + testFraction);
        }
    }

    /** The split {@code promptText} belongs to. */
    public Split splitOf(String promptText) {
        return unitHash(promptText) < testFraction ? Split.TEST : Split.TRAIN;
    }

    /** The keyed hash of {@code promptText} as a uniform number in [0, 1). */
    double unitHash(String promptText) {
        Objects.requireNonNull(promptText, "promptText");
        long h = RowRandom.mix(key, promptText.length());
        for (int i = 0; i < promptText.length(); i++) {
            h = RowRandom.mix(h, promptText.charAt(i));
        }
        return (h >>> 11) * 0x1.0p-53;
    }

    /** The probability of {@code split}. */
    double fraction(Split split) {
        return split == Split.TEST ? testFraction : 1.0 - testFraction;
    }
}
