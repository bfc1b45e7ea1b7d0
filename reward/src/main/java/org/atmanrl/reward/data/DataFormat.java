package org.atmanrl.reward.data;

import java.util.Locale;

/**
 * How a data file is read, by its name's extension (docs/design.md 4): {@code .parquet} as a
 * Parquet table, {@code .jsonl} and {@code .json} as JSON lines. A file named on its own may have
 * any other name and is then read as JSON lines, as before tables existed; a directory or glob
 * takes only files with one of these extensions.
 */
public enum DataFormat {
    JSONL, PARQUET;

    private static final String[] JSONL_EXTENSIONS = {".jsonl", ".json"};
    private static final String PARQUET_EXTENSION = ".parquet";

    /** The format of the file called {@code name}, or null when its extension is none of the data extensions. */
    public static DataFormat ofListed(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(PARQUET_EXTENSION)) return PARQUET;
        for (String ext : JSONL_EXTENSIONS) {
            if (lower.endsWith(ext)) return JSONL;
        }
        return null;
    }

    /** The format of a file named on its own: Parquet by its extension, else JSON lines. */
    public static DataFormat ofNamed(String name) {
        return ofListed(name) == PARQUET ? PARQUET : JSONL;
    }

    /** {@code name} without its data extension, so that a JSONL and a Parquet copy of a file give the same ids. */
    static String withoutExtension(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String ext : new String[] {PARQUET_EXTENSION, JSONL_EXTENSIONS[0], JSONL_EXTENSIONS[1]}) {
            if (lower.endsWith(ext)) return name.substring(0, name.length() - ext.length());
        }
        return name;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
