package org.atmanrl.reward.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The few-shot examples of MMLU's five-shot protocol (Hendrycks et al.): for a question of some
 * subject, the first {@code k} questions of that subject in the dev split, in file order. The dev
 * split has exactly five per subject, so {@code k} is at most 5 there; a subject with fewer than
 * {@code k} is an error, never a prompt with fewer examples.
 */
public final class MmluShots {
    /** Zero-shot: no examples. */
    public static final MmluShots NONE = new MmluShots(0, "", Map.of());

    private final int k;
    private final String file;
    private final Map<String, List<MmluRow>> bySubject;

    private MmluShots(int k, String file, Map<String, List<MmluRow>> bySubject) {
        this.k = k;
        this.file = file;
        this.bySubject = bySubject;
    }

    /**
     * The first {@code k} rows of each subject of {@code dev} (a loaded dev split).
     *
     * @throws IllegalArgumentException if {@code k < 0}
     */
    public static MmluShots of(LoadedDataset<MmluRow> dev, int k) {
        Objects.requireNonNull(dev, "dev");
        if (k < 0) {
            throw new IllegalArgumentException("the number of shots must be >= 0, not " + k);
        }
        Map<String, List<MmluRow>> bySubject = new LinkedHashMap<>();
        for (MmluRow row : dev.rows()) {
            List<MmluRow> rows = bySubject.computeIfAbsent(row.subject(), s -> new ArrayList<>());
            if (rows.size() < k) {
                rows.add(row);
            }
        }
        bySubject.replaceAll((s, rows) -> List.copyOf(rows));
        return new MmluShots(k, dev.report().file(), Map.copyOf(bySubject));
    }

    /** Examples per question. */
    public int k() {
        return k;
    }

    /**
     * The {@code k} examples of {@code subject}, in the dev file's order.
     *
     * @throws IllegalArgumentException naming the subject, the dev file and how many it has
     */
    public List<MmluRow> examples(String subject) {
        if (k == 0) {
            return List.of();
        }
        List<MmluRow> rows = bySubject.getOrDefault(subject, List.of());
        if (rows.size() < k) {
            throw new IllegalArgumentException(shortage(subject, rows.size()));
        }
        return rows;
    }

    /**
     * Checks that every subject of {@code rows} (read from {@code file}) has its {@code k}
     * examples, so that a run stops before its first prompt rather than at some later question.
     *
     * @throws DatasetFormatException at the first row whose subject has too few, naming file,
     *     line, subject, the dev file and the counts
     */
    public void requireCovers(List<MmluRow> rows, String file) {
        requireCovers(rows, row -> file);
    }

    /** As {@link #requireCovers(List, String)}, each row read from the file {@code fileOf} gives for it. */
    public void requireCovers(List<MmluRow> rows, Function<MmluRow, String> fileOf) {
        if (k == 0) {
            return;
        }
        Set<String> checked = new HashSet<>();
        for (MmluRow row : rows) {
            if (checked.add(row.subject())) {
                int have = bySubject.getOrDefault(row.subject(), List.of()).size();
                if (have < k) {
                    throw new DatasetFormatException(new MalformedRow(fileOf.apply(row), row.line(), "subject",
                            shortage(row.subject(), have)));
                }
            }
        }
    }

    private String shortage(String subject, int have) {
        return "the dev split " + file + " has " + have + " question" + (have == 1 ? "" : "s") + " of subject \""
                + subject + "\", fewer than the " + k + " shots asked for";
    }

    @Override
    public String toString() {
        return k == 0 ? "zero-shot" : k + "-shot from " + file;
    }
}
