package org.atmanrl.driver.checkpoint;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import java.util.Map;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.ShardIndex;
import org.atmanrl.model.io.ModelFormatException;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoints of one training run in one directory of any Hadoop file system: one
 * {@code step-%08d} directory per checkpoint, each written whole under a temporary name and
 * renamed into place, the last {@code keepLast} kept.
 *
 * <p>A checkpoint counts only if its manifest verifies: cheaply (every file there with its
 * size) for {@link #completeSteps}, fully (every hash too) for a load. So a half-copied
 * directory (a rename that is a copy, as on S3) or a corrupted file is never resumed from.
 *
 * <p>One writer per directory: two runs saving into the same directory, or
 * {@link #removeStaleTemporaries} during a save, would interfere.
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);

    private final FileSystem fs;
    private final Path dir;
    private final int keepLast;

    /** @param keepLast how many complete checkpoints to keep, at least 1 */
    public CheckpointStore(FileSystem fs, Path checkpointsDir, int keepLast) {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be >= 1, got " + keepLast);
        }
        this.fs = fs;
        this.dir = checkpointsDir;
        this.keepLast = keepLast;
    }

    /** Where the checkpoint of {@code step} is, whether or not it exists. */
    public Path stepDirectory(long step) {
        return new Path(dir, CheckpointLayout.stepName(step));
    }

    /**
     * Writes {@code c} as {@code step-%08d} atomically, then removes the oldest complete
     * checkpoints so that {@code keepLast} remain. A step that exists is refused before anything
     * is written. Only checkpoints of earlier steps are pruned: a later one (from a run this one
     * did not resume from) is left for its owner.
     *
     * @return the new checkpoint's directory
     */
    public Path save(Checkpoint c) throws IOException {
        CheckpointWriter.check(c);
        Path target = stepDirectory(c.step());
        if (fs.exists(target)) {
            throw new FileAlreadyExistsException(target + " already exists; a checkpoint is never overwritten");
        }
        HadoopFiles.writeAtomically(fs, target, temporary -> CheckpointWriter.write(fs, temporary, c));
        LOG.info("saved checkpoint {}", target);
        prune(c.step());
        return target;
    }

    /**
     * Where a barrier run's ranks write the checkpoint of {@code step} shard by shard
     * ({@link ShardedCheckpoint}) before {@link #complete} renames it; a name
     * {@link #removeStaleTemporaries} removes if the run dies first.
     */
    public Path temporaryFor(long step) {
        return HadoopFiles.temporarySibling(stepDirectory(step));
    }

    /**
     * Completes a checkpoint whose ranks have written their shards into {@code temporary}
     * (docs/design.md 3.5): config.json, the tokenizer files and HF's shard index in model/, the run
     * state and config, the manifest last, then one rename to the directory of {@code step} and the
     * pruning of {@link #save}. {@code weightMap} maps each tensor to its shard's file.
     */
    public Path complete(Path temporary, long step, HfConfig modelConfig, Map<String, byte[]> modelFiles,
                         Map<String, String> weightMap, long totalBytes, byte[] runState, byte[] config)
            throws IOException {
        Path target = stepDirectory(step);
        try {
            Path model = new Path(temporary, CheckpointLayout.MODEL);
            fs.mkdirs(model);
            ModelDirectory.writeSmall(fs, new Path(model, HfConfig.FILE), modelConfig.toBytes(SafetensorsDType.F32));
            for (Map.Entry<String, byte[]> f : modelFiles.entrySet()) {
                ModelDirectory.writeSmall(fs, new Path(model, f.getKey()), f.getValue());
            }
            ModelDirectory.writeSmall(fs, new Path(model, ShardIndex.FILE), new ShardIndex(weightMap, totalBytes).toBytes());
            ModelDirectory.writeSmall(fs, new Path(temporary, CheckpointLayout.RUN_STATE), runState);
            ModelDirectory.writeSmall(fs, new Path(temporary, CheckpointLayout.CONFIG), config);
            CheckpointManifest manifest = CheckpointManifest.describe(fs, temporary, step);
            ModelDirectory.writeSmall(fs, new Path(temporary, CheckpointLayout.MANIFEST), manifest.toBytes());
            HadoopFiles.commit(fs, temporary, target);
        } catch (IOException | RuntimeException e) {
            if (fs.exists(temporary)) fs.delete(temporary, true);
            throw e;
        }
        LOG.info("saved checkpoint {}", target);
        prune(step);
        return target;
    }

    /** Removes a temporary checkpoint directory that will not be completed. */
    public void discard(Path temporary) throws IOException {
        if (!CheckpointLayout.isTemporary(temporary.getName())) {
            throw new IllegalArgumentException(temporary + " is not a temporary checkpoint directory");
        }
        fs.delete(temporary, true);
    }

    /**
     * The run state and config of the checkpoint of {@code step}, after verifying it as
     * {@link #newestVerified} does, reading no weight: what a driver that holds no model (barrier
     * mode) resumes from.
     */
    public SavedState loadState(long step) throws IOException {
        Path stepDir = stepDirectory(step);
        CheckpointReader.verify(fs, stepDir, step);
        return new SavedState(step, stepDir, CheckpointReader.runState(fs, stepDir),
                HadoopFiles.readSmall(fs, new Path(stepDir, CheckpointLayout.CONFIG), CheckpointLayout.SMALL_FILE_LIMIT),
                CheckpointManifest.read(fs, stepDir).optimizerShards(stepDir.toString()));
    }

    /**
     * A checkpoint's run_state.json and config.yaml, where it is, and how many ranks wrote its
     * optimizer state (0 for the one file of sync mode).
     */
    public record SavedState(long step, Path directory, byte[] runState, byte[] config, int optimizerShards) {
    }

    /** Steps of the checkpoints that verify cheaply (manifest present, every file with its size), ascending. */
    public List<Long> completeSteps() throws IOException {
        List<Long> complete = new ArrayList<>();
        for (long step : stepDirectories()) {
            if (isComplete(step)) {
                complete.add(step);
            }
        }
        return complete;
    }

    /**
     * The newest checkpoint that verifies fully and loads. Each newer one that does not is
     * reported to {@code warnings} as {@code "skipping checkpoint <dir>: <why>"} and passed over.
     * Empty if none loads. Directories still under a temporary name are never considered.
     */
    public Optional<Checkpoint> loadNewest(DataType dtype, Consumer<String> warnings) throws IOException {
        List<Long> steps = stepDirectories();
        Collections.reverse(steps);
        for (long step : steps) {
            try {
                return Optional.of(load(step, dtype));
            } catch (ModelFormatException | IOException e) {
                // Any failure to read one checkpoint (a fault it holds, a file gone or unreadable)
                // means it cannot be resumed from; an older one still can.
                warnings.accept("skipping checkpoint " + stepDirectory(step) + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * The step of the newest checkpoint that verifies fully ({@link CheckpointReader#verify}:
     * every hash and header, no tensor loaded), as {@link #loadNewest} would load it. Each newer
     * one that does not is reported to {@code faults}: the fault, which names a file in it (or {@code "<dir>: <why>"}). Empty if none
     * verifies, or there is none. Reads only.
     */
    public OptionalLong newestVerified(Consumer<String> faults) throws IOException {
        List<Long> steps = stepDirectories();
        Collections.reverse(steps);
        for (long step : steps) {
            try {
                CheckpointReader.verify(fs, stepDirectory(step), step);
                return OptionalLong.of(step);
            } catch (ModelFormatException | IOException e) {
                String where = stepDirectory(step).toString(), why = String.valueOf(e.getMessage());
                faults.accept(why.contains(where) ? why : where + ": " + why);
            }
        }
        return OptionalLong.empty();
    }

    /** Whether any directory is named like a checkpoint, complete or not. */
    public boolean hasCheckpointDirectories() throws IOException {
        return !stepDirectories().isEmpty();
    }

    /**
     * The checkpoint of {@code step}, after verifying every file against the manifest.
     *
     * @throws ModelFormatException naming the file and the fault, if it is incomplete or corrupt
     * @throws FileNotFoundException if there is no checkpoint of that step
     */
    public Checkpoint load(long step, DataType dtype) throws IOException {
        Path stepDir = stepDirectory(step);
        if (!fs.exists(stepDir)) {
            throw new FileNotFoundException("no checkpoint " + stepDir);
        }
        return CheckpointReader.read(fs, stepDir, step, dtype);
    }

    /**
     * Removes the temporary directories of writers that did not finish (a crash mid-save).
     * Only names of the form {@code .step-%08d.tmp-<uuid>} are touched.
     *
     * @return how many were removed
     */
    public int removeStaleTemporaries() throws IOException {
        int removed = 0;
        for (FileStatus s : list()) {
            if (CheckpointLayout.isTemporary(s.getPath().getName()) && fs.delete(s.getPath(), true)) {
                LOG.info("removed unfinished checkpoint {}", s.getPath());
                removed++;
            }
        }
        return removed;
    }

    /** Steps of all directories named like a checkpoint, complete or not, ascending. */
    private List<Long> stepDirectories() throws IOException {
        List<Long> steps = new ArrayList<>();
        for (FileStatus s : list()) {
            OptionalLong step = CheckpointLayout.parseStep(s.getPath().getName());
            if (s.isDirectory() && step.isPresent()) {
                steps.add(step.getAsLong());
            }
        }
        Collections.sort(steps);
        return steps;
    }

    private FileStatus[] list() throws IOException {
        try {
            return fs.listStatus(dir);
        } catch (FileNotFoundException e) {
            return new FileStatus[0];
        }
    }

    private boolean isComplete(long step) throws IOException {
        Path stepDir = stepDirectory(step);
        try {
            CheckpointManifest manifest = CheckpointManifest.read(fs, stepDir);
            manifest.checkSizes(fs, stepDir);
            return manifest.step() == step;
        } catch (ModelFormatException | FileNotFoundException e) {
            return false;
        }
    }

    /**
     * Keeps the newest {@code keepLast - 1} complete checkpoints before {@code saved}, which is
     * already complete. A failure here does not fail the save: the checkpoint is written, and
     * the next save prunes again.
     */
    private void prune(long saved) {
        try {
            List<Long> older = new ArrayList<>(completeSteps());
            older.removeIf(step -> step >= saved);
            for (int i = 0; i < older.size() - (keepLast - 1); i++) {
                delete(stepDirectory(older.get(i)));
            }
        } catch (IOException e) {
            LOG.warn("could not remove old checkpoints in {}: {}", dir, e.toString());
        }
    }

    /** The manifest goes first, so a directory half deleted (not atomic on S3) is never complete. */
    private void delete(Path stepDir) throws IOException {
        fs.delete(new Path(stepDir, CheckpointLayout.MANIFEST), false);
        fs.delete(stepDir, true);
        LOG.info("removed old checkpoint {}", stepDir);
    }
}
