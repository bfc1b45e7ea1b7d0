package org.atmanrl.driver.checkpoint;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.AdapterDirectory;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.lora.LoraAdapters;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Verifies one checkpoint directory against its manifest (every file there with its size and
 * hash, nothing else there), then loads it. Every fault is a ModelFormatException naming the file.
 */
final class CheckpointReader {
    private CheckpointReader() {
    }

    static Checkpoint read(FileSystem fs, Path dir, long step, DataType dtype) throws IOException {
        CheckpointManifest manifest = verifiedManifest(fs, dir, step);
        Path modelDir = new Path(dir, CheckpointLayout.MODEL);
        HfConfig hf;
        LlamaWeights weights = null;
        LoraAdapters adapters = null;
        if (manifest.holdsAdapters()) {
            hf = ModelDirectory.readConfig(fs, modelDir);
            adapters = AdapterDirectory.load(fs, new Path(dir, CheckpointLayout.ADAPTER), hf.model(), dtype).adapters();
        } else {
            ModelDirectory.Loaded model = ModelDirectory.load(fs, modelDir, dtype);
            hf = model.config();
            weights = model.weights();
        }
        try {
            Map<String, byte[]> modelFiles = new LinkedHashMap<>();
            for (String name : manifest.modelCompanionFiles()) {
                modelFiles.put(name, readSmall(fs, new Path(modelDir, name)));
            }
            int ranks = manifest.optimizerShards(dir.toString());
            AdamW.State optimizer = ranks > 0
                    ? ShardedCheckpoint.readAll(fs, dir, ranks, trainedShapes(hf, adapters))
                    : OptimizerStateFile.read(fs, new Path(dir, CheckpointLayout.OPTIMIZER), trainedShapes(hf, adapters));
            byte[] runState = runState(fs, dir);
            byte[] config = readSmall(fs, new Path(dir, CheckpointLayout.CONFIG));
            Checkpoint.MaskHeadState head = null;
            if (MaskHeadFiles.present(fs, modelDir)) {
                var m = hf.model();
                MaskHeadFiles.Head h = MaskHeadFiles.read(fs, modelDir, m.hiddenSize(),
                        m.numHiddenLayers() * m.numAttentionHeads());
                head = new Checkpoint.MaskHeadState(h, MaskHeadFiles.readOptimizer(fs, dir, h));
            }
            return new Checkpoint(step, hf, weights, modelFiles, optimizer, runState, config, head, adapters);
        } catch (IOException | RuntimeException e) {
            if (weights != null) weights.close();
            if (adapters != null) adapters.close();
            throw e;
        }
    }

    private static Map<String, long[]> trainedShapes(HfConfig hf, LoraAdapters adapters) {
        return adapters == null ? LlamaWeights.shapes(hf.model()) : LoraAdapters.shapes(hf.model(), adapters.config());
    }

    /**
     * Everything {@link #read} checks, reading no weight or moment: the manifest with every hash,
     * the model's and the optimizer's headers against its config.json, run_state.json and the
     * mask network. What {@code --resume} runs before Spark starts and before it writes anything.
     */
    static void verify(FileSystem fs, Path dir, long step) throws IOException {
        CheckpointManifest manifest = verifiedManifest(fs, dir, step);
        Path modelDir = new Path(dir, CheckpointLayout.MODEL);
        var config = ModelDirectory.readConfig(fs, modelDir).model();
        if (manifest.holdsAdapters()) {
            // the adapters are small: read them whole, which checks every name and shape against the base's config
            try (AdapterDirectory.Loaded a = AdapterDirectory.load(fs, new Path(dir, CheckpointLayout.ADAPTER), config,
                    DataType.FLOAT)) {
                OptimizerStateFile.check(fs, new Path(dir, CheckpointLayout.OPTIMIZER),
                        LoraAdapters.shapes(config, a.adapters().config()));
            }
        } else {
            ModelDirectory.checkWeights(fs, modelDir, config);
            int ranks = manifest.optimizerShards(dir.toString());
            if (ranks > 0) ShardedCheckpoint.checkAll(fs, dir, ranks, LlamaWeights.shapes(config));
            else OptimizerStateFile.check(fs, new Path(dir, CheckpointLayout.OPTIMIZER), LlamaWeights.shapes(config));
        }
        runState(fs, dir);
        readSmall(fs, new Path(dir, CheckpointLayout.CONFIG));
        if (MaskHeadFiles.present(fs, modelDir)) {
            MaskHeadFiles.Head h = MaskHeadFiles.read(fs, modelDir, config.hiddenSize(),
                    config.numHiddenLayers() * config.numAttentionHeads());
            MaskHeadFiles.readOptimizer(fs, dir, h); // a few small tensors
        }
    }

    private static CheckpointManifest verifiedManifest(FileSystem fs, Path dir, long step) throws IOException {
        CheckpointManifest manifest = CheckpointManifest.read(fs, dir);
        if (manifest.step() != step) {
            throw new ModelFormatException(new Path(dir, CheckpointLayout.MANIFEST).toString(), "says step "
                    + manifest.step() + " but its directory is " + CheckpointLayout.stepName(step));
        }
        manifest.checkSizes(fs, dir);
        manifest.checkHashes(fs, dir);
        return manifest;
    }

    /** run_state.json, which must be one JSON object: a fault names the file, line and column. */
    static byte[] runState(FileSystem fs, Path dir) throws IOException {
        Path file = new Path(dir, CheckpointLayout.RUN_STATE);
        byte[] bytes = readSmall(fs, file);
        JsonFiles.parseObject(file.toString(), bytes);
        return bytes;
    }

    private static byte[] readSmall(FileSystem fs, Path file) throws IOException {
        return HadoopFiles.readSmall(fs, file, CheckpointLayout.SMALL_FILE_LIMIT);
    }
}
