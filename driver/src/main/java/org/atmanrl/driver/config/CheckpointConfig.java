package org.atmanrl.driver.config;

import java.io.Serializable;

/**
 * When the run saves a checkpoint: the {@code checkpoint} section. {@link TrainConfigSchema}
 * declares each key's range, default and meaning.
 *
 * @param every    steps between checkpoints; 0 = only at the end (the end is always saved)
 * @param keepLast how many of the newest checkpoints are kept
 */
public record CheckpointConfig(int every, int keepLast) implements Serializable {
}
