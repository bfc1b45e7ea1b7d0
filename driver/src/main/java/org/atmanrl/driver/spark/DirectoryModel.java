package org.atmanrl.driver.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.BufferPool;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The policy of a barrier run's tasks (docs/design.md 3.5), read as fp32 on the executor from a
 * model directory (the run's model, or a completed checkpoint's {@code model/}) through Hadoop
 * FileSystem, with the run's tokenizer, so the driver never holds the weights: a rank's stage, an
 * evaluation task, the saliency samples. Both are closed, and the thread's reused buffers parked for
 * the next task, when the work returns or fails.
 */
final class DirectoryModel {
    private DirectoryModel() {}

    /** What a task does with the weights, their config and the tokenizer. */
    @FunctionalInterface
    interface Work<T> {
        T apply(LlamaWeights weights, HfConfig hf, Tokenizer tokenizer) throws IOException;
    }

    /**
     * {@code work} on the weights in {@code modelDirectory}; an I/O failure becomes one line that
     * starts with {@code failure} (what the task was doing, e.g. "evaluating DIR on an executor").
     */
    static <T> T apply(RunResources resources, String modelDirectory, String failure, Work<T> work) {
        ThreadBudget.apply(resources.threadsPerTask());
        HfConfig hf = HfConfig.parse("config.json of run " + resources.runId(), resources.modelConfigJson());
        Path dir = new Path(modelDirectory);
        try (LlamaWeights weights = ModelDirectory.readWeights(
                HadoopFiles.fileSystem(dir, ExecutorModels.hadoopConfiguration()), dir, hf.model(), DataType.FLOAT);
             Tokenizer tokenizer = Tokenizer.fromJson("run " + resources.runId(), resources.tokenizerJson(),
                     resources.tokenizerConfigJson())) {
            return work.apply(weights, hf, tokenizer);
        } catch (IOException e) {
            throw new UncheckedIOException(failure + ": " + e.getMessage(), e);
        } finally {
            // Spark's task threads are pooled: the reused buffers go to the next task, whichever
            // thread runs it (docs/design.md 6.1, "Reused buffers")
            BufferPool.park();
        }
    }
}
