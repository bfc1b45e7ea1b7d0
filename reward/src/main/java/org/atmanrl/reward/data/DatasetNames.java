package org.atmanrl.reward.data;

/**
 * The short name of a data-set file for problem ids: its last path component without {@code .jsonl}
 * (or {@code .parquet}; {@code .json} stays, as it always did).
 */
final class DatasetNames {
    private DatasetNames() {
    }

    static String of(String file) {
        String name = file.substring(file.lastIndexOf('/') + 1);
        for (String ext : new String[] {".jsonl", ".parquet"}) {
            if (name.endsWith(ext)) return name.substring(0, name.length() - ext.length());
        }
        return name;
    }
}
