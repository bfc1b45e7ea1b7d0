package org.atmanrl.driver.checkpoint;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.ModelFormatException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Verifies one checkpoint directory against its manifest (every file there with its size and
 * hash, nothing else there), then loads it. Every fault is a ModelFormatException naming the file.
 */
final class CheckpointReader {
    private CheckpointReader() {
    }

    static Checkpoint read(FileSystem fs, Path dir, long step, DataType dtype) throws IOException {
        CheckpointManifest manifest = CheckpointManifest.read(fs, dir);
        if (manifest.step() != step) {
            throw new ModelFormatException(new Path(dir, CheckpointLayout.MANIFEST).toString(), "says step "
                    + manifest.step() + " but its directory is " + CheckpointLayout.stepName(step));
        }
        manifest.checkSizes(fs, dir);
        manifest.checkHashes(fs, dir);
        Path modelDir = new Path(dir, CheckpointLayout.MODEL);
        ModelDirectory.Loaded model = ModelDirectory.load(fs, modelDir, dtype);
        try {
            Map<String, byte[]> modelFiles = new LinkedHashMap<>();
            for (String name : manifest.modelCompanionFiles()) {
                modelFiles.put(name, readSmall(fs, new Path(modelDir, name)));
            }
            AdamW.State optimizer = OptimizerStateFile.read(fs, new Path(dir, CheckpointLayout.OPTIMIZER),
                    LlamaWeights.shapes(model.config().model()));
            byte[] runState = readSmall(fs, new Path(dir, CheckpointLayout.RUN_STATE));
            byte[] config = readSmall(fs, new Path(dir, CheckpointLayout.CONFIG));
            Checkpoint.MaskHeadState head = null;
            if (MaskHeadFiles.present(fs, modelDir)) {
                var m = model.config().model();
                MaskHeadFiles.Head h = MaskHeadFiles.read(fs, modelDir, m.hiddenSize(),
                        m.numHiddenLayers() * m.numAttentionHeads());
                head = new Checkpoint.MaskHeadState(h, MaskHeadFiles.readOptimizer(fs, dir, h));
            }
            return new Checkpoint(step, model.config(), model.weights(), modelFiles, optimizer, runState, config, head);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static byte[] readSmall(FileSystem fs, Path file) throws IOException {
        return HadoopFiles.readSmall(fs, file, CheckpointLayout.SMALL_FILE_LIMIT);
    }
}
