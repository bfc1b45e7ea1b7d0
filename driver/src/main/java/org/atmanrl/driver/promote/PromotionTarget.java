package org.atmanrl.driver.promote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;

/**
 * Where promoted models are published (docs/training-on-spark.md "Scheduled retraining"): a Hugging
 * Face model directory, the run's {@code model/}, plus {@value #SUMMARY}, the run's summary with the
 * gate's decision, which the next run's gate compares against (Hugging Face loaders ignore it).
 *
 * <p>Publishing copies the model to a temporary sibling, moves the promoted directory aside to
 * {@code <name>.previous} (replacing the one kept before) and renames the copy into place, so a
 * reader sees the old model, briefly none, or the new one, never half of one. Interrupted between
 * the two renames, the next promotion (or {@link #recover}) moves the previous model back first.
 * The caller holds the target's run lock throughout.
 */
public record PromotionTarget(FileSystem fs, Path path) {
    /** The summary stored with a promoted model. */
    public static final String SUMMARY = "atmanrl_summary.json";
    private static final long SUMMARY_LIMIT = 16 << 20;

    /** Where the model replaced last is kept. */
    public Path previous() {
        return new Path(path.getParent(), path.getName() + ".previous");
    }

    /**
     * Before training, reading only: the target is absent (the first run publishes) or a directory
     * whose stored summary has a final evaluation with every metric the gate compares; else one line.
     */
    public void check(PromotionGate gate) throws IOException {
        Optional<JsonNode> s = summary();
        if (s.isEmpty()) return;
        JsonNode after = s.get().path("after");
        for (GateRule r : gate.rules()) {
            if (Double.isNaN(r.valueIn(after))) {
                throw new UserInputException("--promote-to " + path + ": its " + SUMMARY + " has no number after."
                        + r.metric() + ", so the gate cannot compare it; gate on a metric both runs report");
            }
        }
    }

    /** The stored summary of the promoted model, empty if nothing is promoted yet; a damaged one is one line. */
    public Optional<JsonNode> summary() throws IOException {
        Path model = fs.exists(path) ? path : fs.exists(previous()) ? previous() : null;
        if (model == null) return Optional.empty();
        if (!fs.getFileStatus(model).isDirectory()) {
            throw new UserInputException("--promote-to " + model + " is a file, not a model directory");
        }
        Path file = new Path(model, SUMMARY);
        if (!fs.exists(file)) {
            throw new UserInputException("--promote-to " + model + " holds no " + SUMMARY + " (it was not published by"
                    + " atmanrl train --promote-to), so no gate can compare with it; choose another target");
        }
        return Optional.of(JsonFiles.parseObject(file.toString(), HadoopFiles.readSmall(fs, file, SUMMARY_LIMIT)));
    }

    /** Whether the promoted model is the one the run in {@code runDir} published (an earlier attempt's). */
    public boolean holdsRunOf(String runDir) throws IOException {
        Optional<JsonNode> s = fs.exists(path) ? summary() : Optional.empty();
        return s.isPresent() && runDir.equals(s.get().path("run_dir").asText(null));
    }

    /**
     * Undoes what an interrupted promotion left: the promoted model moved aside and not replaced is
     * moved back, and unfinished copies are deleted.
     */
    public void recover(Consumer<String> log) throws IOException {
        if (!fs.exists(path) && fs.exists(previous())) {
            rename(previous(), path);
            log.accept("an interrupted promotion had moved " + path + " aside; moved it back");
        }
        Path parent = path.getParent();
        if (parent == null || !fs.exists(parent)) return;
        for (FileStatus st : fs.listStatus(parent)) {
            if (st.getPath().getName().startsWith("." + path.getName() + ".tmp-")) fs.delete(st.getPath(), true);
        }
    }

    /** Publishes the model directory {@code model} (on {@code modelFs}) with {@code stored} as its {@value #SUMMARY}. */
    public void publish(FileSystem modelFs, Path model, ObjectNode stored) throws IOException {
        Path staging = HadoopFiles.temporarySibling(path);
        try {
            if (!FileUtil.copy(modelFs, model, fs, staging, false, fs.getConf())) {
                throw new IOException("could not copy " + model + " to " + staging);
            }
            ModelDirectory.writeSmall(fs, new Path(staging, SUMMARY),
                    (stored.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
            if (fs.exists(path)) {
                if (fs.exists(previous())) fs.delete(previous(), true);
                rename(path, previous());
            }
            rename(staging, path);
        } finally {
            if (fs.exists(staging)) fs.delete(staging, true);
        }
    }

    private void rename(Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) throw new IOException("could not rename " + from + " to " + to);
    }
}
