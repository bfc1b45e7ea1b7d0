package org.atmanrl.driver.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserPaths;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;

/**
 * A training run's output directory: {@code config.yaml} (the resolved config), {@code
 * metrics.jsonl} (one JSON object per step), {@code checkpoints/}, {@code model/} (the final
 * policy as a Hugging Face directory), {@code data_files.json} (the data files read, {@link
 * DataFilesRecord}) and {@code summary.json}. Every file is written under a
 * temporary name and renamed, so a reader never sees half a file.
 */
public final class RunDirectory {
    public static final String CONFIG = "config.yaml";
    public static final String METRICS = "metrics.jsonl";
    public static final String SUMMARY = "summary.json";
    /** A few test completions with fitted masks and AtMan reference (eval.samples), for {@code atmanrl report}. */
    public static final String SALIENCY_SAMPLES = "saliency_samples.json";
    public static final String MODEL = "model";
    public static final String CHECKPOINTS = "checkpoints";
    /** metrics.jsonl of a long run stays well under this. */
    private static final int METRICS_LIMIT = 256 << 20;

    private final FileSystem fs;
    private final Path root;

    public RunDirectory(FileSystem fs, Path root) {
        this.fs = fs;
        this.root = root;
    }

    public FileSystem fs() { return fs; }
    public Path root() { return root; }
    public Path checkpoints() { return new Path(root, CHECKPOINTS); }
    public Path model() { return new Path(root, MODEL); }

    /** Whether a run has already written here (its resolved config is the first thing a run writes). */
    public boolean holdsRun() throws IOException {
        return fs.exists(new Path(root, CONFIG));
    }

    /**
     * Refuses a directory that holds another run (or anything else) unless the caller resumes it,
     * and one that could not be written: checked before a run starts, so that it fails with one
     * line rather than after its first step, and leaves nothing behind.
     */
    public void requireFreshOrResumable(boolean resume) throws IOException {
        if (!fs.exists(root)) {
            UserPaths.requireCreatable(fs, root, "output");
            return;
        }
        if (!fs.getFileStatus(root).isDirectory()) {
            throw new UserInputException("output " + root + " is a file, not a run directory");
        }
        UserPaths.requireWritableDirectory(fs, root, "output " + root);
        if (holdsRun()) {
            if (!resume) {
                throw new UserInputException("output " + root + " already holds a run (" + CONFIG + "); add --resume to"
                        + " continue it, or choose another output");
            }
        } else if (holdsAnythingButLocks(fs, root)) {
            throw new UserInputException("output " + root + " is not empty and holds no run; choose an empty or new"
                    + " directory");
        }
    }

    /**
     * Whether {@code dir} holds anything but run locks: a run's own lock (taken before this check,
     * docs/training-on-spark.md "Run locks") does not make its new output "not empty".
     */
    public static boolean holdsAnythingButLocks(FileSystem fs, Path dir) throws IOException {
        for (org.apache.hadoop.fs.FileStatus s : fs.listStatus(dir)) {
            if (!RunLock.isLockFile(s.getPath().getName())) return true;
        }
        return false;
    }

    /** {@link #write}, unless the file already holds exactly these bytes (a rerun rewrites nothing it need not). */
    public void writeIfChanged(String name, byte[] bytes) throws IOException {
        Path target = new Path(root, name);
        if (fs.exists(target) && fs.getFileStatus(target).getLen() == bytes.length
                && java.util.Arrays.equals(HadoopFiles.readSmall(fs, target, bytes.length), bytes)) {
            return;
        }
        write(name, bytes);
    }

    public void write(String name, byte[] bytes) throws IOException {
        fs.mkdirs(root);
        Path target = new Path(root, name);
        Path tmp = HadoopFiles.temporarySibling(target);
        ModelDirectory.writeSmall(fs, tmp, bytes);
        // One atomic replace (POSIX rename on local disks, HDFS's rename with OVERWRITE): the old
        // file stays whole until the new one takes its place.
        org.apache.hadoop.fs.FileContext.getFileContext(fs.getUri(), fs.getConf())
                .rename(tmp, target, org.apache.hadoop.fs.Options.Rename.OVERWRITE);
    }

    /**
     * The metric lines already written whose step is at most {@code step} (a resumed run drops the
     * rest). Every line must be a JSON object with an integer step: a damaged one is one line naming
     * the file and line, before anything is written.
     */
    public List<String> metricLinesUpTo(long step) throws IOException {
        Path file = new Path(root, METRICS);
        List<String> kept = new ArrayList<>();
        if (!fs.exists(file)) return kept;
        String text = new String(HadoopFiles.readSmall(fs, file, METRICS_LIMIT), StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) continue;
            String at = file + ":" + (i + 1);
            com.fasterxml.jackson.databind.JsonNode n;
            try {
                n = JsonFiles.MAPPER.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new UserInputException(at + ": not JSON (" + JsonFiles.oneLine(e.getOriginalMessage()) + ")");
            }
            if (n == null || !n.isObject() || !n.path("step").isIntegralNumber()) {
                throw new UserInputException(at + ": a JSON object with an integer field step is expected");
            }
            if (n.path("step").asLong() <= step) kept.add(line);
        }
        return kept;
    }

    /** summary.json, if there is one, is a JSON object with a known status: a damaged one is one line naming the file. */
    public void checkSummary() throws IOException {
        summary();
    }

    /**
     * summary.json, if the run has written one (docs/training-on-spark.md "Scheduled retraining"): a damaged
     * file, or one with an unknown status, is one line naming the file.
     */
    public Optional<ObjectNode> summary() throws IOException {
        Path file = new Path(root, SUMMARY);
        if (!fs.exists(file)) return Optional.empty();
        ObjectNode s =
                JsonFiles.parseObject(file.toString(), HadoopFiles.readSmall(fs, file, METRICS_LIMIT));
        try {
            RunStatus.of(s);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(file + ": " + e.getMessage());
        }
        return Optional.of(s);
    }

    /** The status summary.json gives, or empty when there is none. */
    public Optional<RunStatus> status() throws IOException {
        return summary().map(RunStatus::of);
    }

    /**
     * Whether summary.json says the run trained all {@code steps} and was evaluated, so that the
     * same command again trains nothing (a run extended by raising {@code steps} is not finished).
     */
    public boolean finishedAt(long steps) throws IOException {
        Optional<ObjectNode> s = summary();
        return s.isPresent() && RunStatus.of(s.get()).finished() && s.get().path("steps").asLong(-1) == steps;
    }

    /** Writes summary.json (whole, renamed into place). */
    public void writeSummary(ObjectNode summary) throws IOException {
        write(SUMMARY, summaryBytes(summary));
    }

    /** {@link #writeSummary}, unless the file holds these bytes already (the same decision made again). */
    public void writeSummaryIfChanged(ObjectNode summary) throws IOException {
        writeIfChanged(SUMMARY, summaryBytes(summary));
    }

    private static byte[] summaryBytes(ObjectNode summary) {
        return (summary.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    public void writeMetrics(List<String> lines) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String l : lines) b.append(l).append('\n');
        write(METRICS, b.toString().getBytes(StandardCharsets.UTF_8));
    }
}
