package org.atmanrl.driver.checkpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.collective.Shards;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SafetensorsWriter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A barrier run's checkpoint, written shard by shard (docs/design.md 3.5): rank k writes its
 * shard's weights as HF's {@code model/model-0000(k+1)-of-0000P.safetensors} and its AdamW state as
 * {@code optimizer-0000(k+1)-of-0000P.safetensors} into the checkpoint's temporary directory; the
 * driver adds the index and the small files and renames it ({@link CheckpointStore#complete}). A
 * rank whose shard holds no tensor writes neither file. The shards are {@link Shards#split} of the
 * model's tensors, so the layout follows from the model's config and P alone.
 */
public final class ShardedCheckpoint {
    private ShardedCheckpoint() {
    }

    /** The names and shapes of shard {@code rank} of {@code shapes} (in the model's order). */
    public static Map<String, long[]> shard(Map<String, long[]> shapes, Shards shards, int rank) {
        List<String> names = new ArrayList<>(shapes.keySet()).subList(shards.firstTensor(rank), shards.endTensor(rank));
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String n : names) out.put(n, shapes.get(n));
        return out;
    }

    /**
     * Rank {@code rank}'s files in {@code temporary}: {@code weights} are its shard's tensors in the
     * model's order, {@code optimizer} its AdamW state over them. A file a failed attempt of the
     * same stage left is replaced: a retried rank writes the same bytes.
     */
    public static void writeRank(FileSystem fs, Path temporary, int rank, int ranks, Map<String, INDArray> weights,
                                 AdamW.State optimizer) throws IOException {
        if (weights.isEmpty()) return;
        Path model = new Path(temporary, CheckpointLayout.MODEL);
        fs.mkdirs(model);
        Path w = new Path(model, ModelDirectory.shardFile(rank, ranks));
        fs.delete(w, false);
        SafetensorsWriter.write(fs, w, weights, SafetensorsDType.F32, Map.of("format", "pt"));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        weights.forEach((n, a) -> shapes.put(n, a.shape()));
        Path o = new Path(temporary, CheckpointLayout.optimizerShard(rank, ranks));
        fs.delete(o, false);
        OptimizerStateFile.write(fs, o, optimizer, shapes);
    }

    /**
     * One rank's AdamW state from the checkpoint in {@code stepDir}, which {@code savedRanks} ranks
     * wrote: the moments of {@code shardShapes}' tensors (the rank's shard at the current rank count,
     * of the model's {@code shapes}), from whichever files hold them. Shards are whole tensors, so
     * at another rank count each tensor is still in exactly one file: resuming at another P
     * reshards by reading. A rank with an empty shard gets {@code optimizerSteps} and no moments.
     */
    public static AdamW.State readRank(FileSystem fs, Path stepDir, int savedRanks, Map<String, long[]> shapes,
                                       Map<String, long[]> shardShapes, long optimizerSteps) throws IOException {
        Shards saved = Shards.split(shapes, savedRanks);
        List<String> names = new ArrayList<>();
        List<float[]> first = new ArrayList<>(), second = new ArrayList<>();
        long step = optimizerSteps;
        for (int k = 0; k < savedRanks; k++) {
            Map<String, long[]> part = shard(shapes, saved, k);
            if (part.isEmpty() || java.util.Collections.disjoint(part.keySet(), shardShapes.keySet())) continue;
            Path file = new Path(stepDir, CheckpointLayout.optimizerShard(k, savedRanks));
            AdamW.State s = OptimizerStateFile.read(fs, file, part, shardShapes.keySet());
            if (s.step() != optimizerSteps) {
                throw new ModelFormatException(file.toString(), "is at optimizer step " + s.step()
                        + " where the checkpoint's run_state.json says " + optimizerSteps);
            }
            names.addAll(s.names());
            first.addAll(s.firstMoments());
            second.addAll(s.secondMoments());
        }
        return new AdamW.State(step, names, first, second);
    }

    /** Every shard's state as one, in the model's order: the optimizer of a whole checkpoint. */
    static AdamW.State readAll(FileSystem fs, Path dir, int ranks, Map<String, long[]> shapes) throws IOException {
        Shards shards = Shards.split(shapes, ranks);
        List<String> names = new ArrayList<>();
        List<float[]> first = new ArrayList<>(), second = new ArrayList<>();
        long step = -1;
        for (int k = 0; k < ranks; k++) {
            Map<String, long[]> part = shard(shapes, shards, k);
            if (part.isEmpty()) continue;
            Path file = new Path(dir, CheckpointLayout.optimizerShard(k, ranks));
            AdamW.State s = OptimizerStateFile.read(fs, file, part);
            if (step >= 0 && s.step() != step) {
                throw new ModelFormatException(file.toString(), "is at optimizer step " + s.step()
                        + " where the shards before it are at " + step);
            }
            step = s.step();
            names.addAll(s.names());
            first.addAll(s.firstMoments());
            second.addAll(s.secondMoments());
        }
        return new AdamW.State(Math.max(step, 0), names, first, second);
    }

    /** The header checks of {@link #readAll}, reading no value. */
    static void checkAll(FileSystem fs, Path dir, int ranks, Map<String, long[]> shapes) throws IOException {
        Shards shards = Shards.split(shapes, ranks);
        for (int k = 0; k < ranks; k++) {
            Map<String, long[]> part = shard(shapes, shards, k);
            if (!part.isEmpty()) {
                OptimizerStateFile.check(fs, new Path(dir, CheckpointLayout.optimizerShard(k, ranks)), part);
            }
        }
    }
}
