package org.atmanrl.driver.checkpoint;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.AdapterDirectory;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.lora.LoraAdapters;
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
        DataType dtype = c.weights() != null ? c.weights().dataType() : c.adapters().dataType();
        if (dtype != DataType.FLOAT) {
            throw new IllegalArgumentException("checkpoint weights must be FLOAT, got " + dtype
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

    /** The shapes of the tensors that train: the model's, or its adapters'. */
    static Map<String, long[]> trainedShapes(Checkpoint c) {
        return c.adapters() == null ? LlamaWeights.shapes(c.modelConfig().model())
                : LoraAdapters.shapes(c.modelConfig().model(), c.adapters().config());
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
        Path model = new Path(dir, CheckpointLayout.MODEL);
        if (c.adapters() == null) {
            ModelDirectory.save(fs, model, c.modelConfig(), c.weights(), SaveOptions.of(SafetensorsDType.F32),
                    c.modelFiles());
        } else {
            // the base's config and tokenizer, no weights; the adapters as PEFT writes them (docs/design.md 3.4)
            fs.mkdirs(model);
            ModelDirectory.writeSmall(fs, new Path(model, HfConfig.FILE), c.modelConfig().toBytes(SafetensorsDType.F32));
            for (Map.Entry<String, byte[]> f : c.modelFiles().entrySet()) {
                ModelDirectory.writeSmall(fs, new Path(model, f.getKey()), f.getValue());
            }
            AdapterDirectory.save(fs, new Path(dir, CheckpointLayout.ADAPTER), c.adapters(), null, SafetensorsDType.F32);
        }
        OptimizerStateFile.write(fs, new Path(dir, CheckpointLayout.OPTIMIZER), c.optimizer(), trainedShapes(c));
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
