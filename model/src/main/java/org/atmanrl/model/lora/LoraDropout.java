package org.atmanrl.model.lora;

import org.atmanrl.model.RowRandom;

/**
 * Asks a forward pass to train: dropout of probability {@code lora_dropout} on the input of every
 * adapter branch, with inverted scaling ({@code 1 / (1 - p)} on what is kept), as PEFT's
 * {@code nn.Dropout} does in training mode (docs/design.md 3.4). The mask is drawn, not sampled
 * from a generator's state: whether input feature {@code j} of cell {@code t} of batch row {@code b}
 * is dropped on layer {@code i}'s projection {@code m} is a pure function of (seed, rowKeys[b], i, m,
 * t, j) ({@link RowRandom}), so a retried task draws the same mask, and a row's mask does not depend
 * on which rows share its batch or how the batch is padded after it.
 *
 * @param seed    the pass's seed (the caller derives it from the run seed and the step)
 * @param rowKeys one stable key per batch row (the caller's prompt id and rollout index, say)
 */
public record LoraDropout(long seed, long[] rowKeys) {
    public LoraDropout {
        if (rowKeys == null || rowKeys.length == 0) {
            throw new IllegalArgumentException("lora dropout needs one row key per batch row");
        }
        rowKeys = rowKeys.clone();
    }

    /** Keys 0, 1, ..., rows - 1: the mask then depends on each row's place in the batch. */
    public static LoraDropout byRowIndex(long seed, int rows) {
        long[] keys = new long[rows];
        for (int i = 0; i < rows; i++) keys[i] = i;
        return new LoraDropout(seed, keys);
    }

    /** The key of row {@code row}'s draws on layer {@code layer}'s projection {@code target}. */
    public long key(int row, int layer, LoraTarget target) {
        return RowRandom.mix(RowRandom.mix(seed, rowKeys[row]), (long) layer * LoraTarget.values().length + target.ordinal());
    }

    @Override
    public long[] rowKeys() {
        return rowKeys.clone();
    }

    public int rows() {
        return rowKeys.length;
    }
}
