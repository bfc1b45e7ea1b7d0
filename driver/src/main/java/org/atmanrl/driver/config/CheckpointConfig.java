package org.atmanrl.driver.config;

import java.io.Serializable;

/**
 * When the run saves a checkpoint: the {@code checkpoint} section.
 *
 * @param every    steps between checkpoints; 0 = only at the end (the end is always saved); default 10
 * @param keepLast how many of the newest checkpoints are kept; older ones are deleted; default 3
 */
public record CheckpointConfig(int every, int keepLast) implements Serializable {
    public CheckpointConfig {
        if (every < 0) throw new IllegalArgumentException("every must be >= 0 (0 = only at the end), got " + every);
        if (keepLast < 1) throw new IllegalArgumentException("keep_last must be >= 1, got " + keepLast);
    }

    public static CheckpointConfig defaults() {
        return new CheckpointConfig(10, 3);
    }
}
