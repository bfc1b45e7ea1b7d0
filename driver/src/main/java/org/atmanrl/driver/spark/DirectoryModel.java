package org.atmanrl.driver.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.BiFunction;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.BufferPool;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The policy of a barrier run's evaluation and saliency-sample tasks (docs/design.md 3.5): read as
 * fp32 on the executor from a model directory (the run's model, or a completed checkpoint's
 * {@code model/}) through Hadoop FileSystem, with the run's tokenizer, so the driver never holds
 * the weights. Both are closed, and the thread's reused buffers parked, when the work returns.
 */
final class DirectoryModel {
    private DirectoryModel() {}

    /**
     * {@code work} on the model in {@code modelDirectory}; {@code what} names the task in an I/O
     * error's one line ("evaluating", "saliency samples of").
     */
    static <T> T apply(RunResources resources, String modelDirectory, String what,
                       BiFunction<LlamaModel, Tokenizer, T> work) {
        ThreadBudget.apply(resources.threadsPerTask());
        HfConfig hf = HfConfig.parse("config.json of run " + resources.runId(), resources.modelConfigJson());
        Path dir = new Path(modelDirectory);
        try (LlamaWeights weights = ModelDirectory.readWeights(
                HadoopFiles.fileSystem(dir, ExecutorModels.hadoopConfiguration()), dir, hf.model(), DataType.FLOAT);
             Tokenizer tokenizer = Tokenizer.fromJson("run " + resources.runId(), resources.tokenizerJson(),
                     resources.tokenizerConfigJson())) {
            return work.apply(new LlamaModel(weights), tokenizer);
        } catch (IOException e) {
            throw new UncheckedIOException(what + " " + modelDirectory + " on an executor: " + e.getMessage(), e);
        } finally {
            BufferPool.park(); // as after a rank's stage: the next task reuses the buffers (docs/design.md 6.1)
        }
    }
}
