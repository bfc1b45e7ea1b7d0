package org.atmanrl.driver.checkpoint;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.nd4j.linalg.api.buffer.DataType;

/** Writes every file of one checkpoint into a directory that is still under its temporary name. */
final class CheckpointWriter {
    private CheckpointWriter() {
    }

    /**
     * Checks what would make the checkpoint unloadable or inexact, before anything is written
     * (ModelDirectory.save checks the model files' names and shapes itself). Non-finite values are
     * found while writing; the caller then deletes the temporary directory.
     */
    static void check(Checkpoint c) {
        if (c.weights().dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("checkpoint weights must be FLOAT, got " + c.weights().dataType()
                    + ": they are stored as F32, and anything wider would not resume bit-identically");
        }
        checkSize(CheckpointLayout.RUN_STATE, c.runState());
        checkSize(CheckpointLayout.CONFIG, c.config());
        for (Map.Entry<String, byte[]> f : c.modelFiles().entrySet()) {
            if (!CheckpointLayout.isPlainName(f.getKey())) {
                throw new IllegalArgumentException("model file name '" + f.getKey() + "' is not a plain file name");
            }
            checkSize(f.getKey(), f.getValue());
        }
    }

    private static void checkSize(String name, byte[] bytes) {
        if (bytes.length > CheckpointLayout.SMALL_FILE_LIMIT) {
            throw new IllegalArgumentException(name + " is " + bytes.length + " bytes; a checkpoint holds at most "
                    + CheckpointLayout.SMALL_FILE_LIMIT + " (the bound its loader reads)");
        }
    }

    /**
     * Model, optimizer, run state, config, then the manifest of them all, last. {@code dir} must
     * not exist; the caller has run {@link #check}.
     */
    static void write(FileSystem fs, Path dir, Checkpoint c) throws IOException {
        if (!fs.mkdirs(dir)) {
            throw new IOException("could not create " + dir);
        }
        ModelDirectory.save(fs, new Path(dir, CheckpointLayout.MODEL), c.modelConfig(), c.weights(),
                SaveOptions.of(SafetensorsDType.F32), c.modelFiles());
        OptimizerStateFile.write(fs, new Path(dir, CheckpointLayout.OPTIMIZER), c.optimizer(),
                LlamaWeights.shapes(c.modelConfig().model()));
        if (c.maskHead() != null) {
            MaskHeadFiles.write(fs, new Path(dir, CheckpointLayout.MODEL), c.maskHead().head());
            MaskHeadFiles.writeOptimizer(fs, dir, c.maskHead().optimizer(), c.maskHead().head());
        }
        ModelDirectory.writeSmall(fs, new Path(dir, CheckpointLayout.RUN_STATE), c.runState());
        ModelDirectory.writeSmall(fs, new Path(dir, CheckpointLayout.CONFIG), c.config());
        CheckpointManifest manifest = CheckpointManifest.describe(fs, dir, c.step());
        ModelDirectory.writeSmall(fs, new Path(dir, CheckpointLayout.MANIFEST), manifest.toBytes());
    }
}
