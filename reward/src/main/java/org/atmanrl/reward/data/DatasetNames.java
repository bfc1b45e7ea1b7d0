package org.atmanrl.reward.data;

/** The short name of a data-set file for problem ids: its last path component without {@code .jsonl}. */
final class DatasetNames {
    private DatasetNames() {
    }

    static String of(String file) {
        String name = file.substring(file.lastIndexOf('/') + 1);
        return name.endsWith(".jsonl") ? name.substring(0, name.length() - ".jsonl".length()) : name;
    }
}
