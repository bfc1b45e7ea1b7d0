package org.atmanrl.model.check;

import java.util.List;

/**
 * Values that are each in range but not allowed together. {@link #keys()} names the config keys
 * involved (dotted, as a training config file writes them), so that a config reader can blame the
 * one set last without trying the config again once per key.
 */
public final class Conflict extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final List<String> keys;

    public Conflict(String message, String... keys) {
        super(message);
        if (keys.length == 0) throw new IllegalArgumentException("a conflict names the keys it involves");
        this.keys = List.of(keys);
    }

    /** The keys involved; when none of them was set, a reader blames the first. */
    public List<String> keys() {
        return keys;
    }
}
