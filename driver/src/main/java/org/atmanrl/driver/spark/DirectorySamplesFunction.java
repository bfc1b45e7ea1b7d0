package org.atmanrl.driver.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.model.BufferPool;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A barrier run's saliency samples (eval.samples, docs/design.md 3.5, "Evaluation") as one Spark
 * task: what sync mode's driver computes at the end with its policy, computed on an executor from
 * the last checkpoint's model directory, so the driver never holds the weights. It returns
 * saliency_samples.json's text, which the driver writes.
 */
final class DirectorySamplesFunction implements FlatMapFunction<Iterator<Problem>, String> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RunResources> run;
    private final String modelDirectory;
    private final SaliencyConfig saliency;
    private final int stopToken, maxNewTokens, maxRowsPerPass;

    DirectorySamplesFunction(Broadcast<RunResources> run, String modelDirectory, SaliencyConfig saliency,
                             int stopToken, int maxNewTokens, int maxRowsPerPass) {
        this.run = run;
        this.modelDirectory = modelDirectory;
        this.saliency = saliency;
        this.stopToken = stopToken;
        this.maxNewTokens = maxNewTokens;
        this.maxRowsPerPass = maxRowsPerPass;
    }

    @Override
    public Iterator<String> call(Iterator<Problem> shard) {
        List<Problem> problems = new ArrayList<>();
        shard.forEachRemaining(problems::add);
        RunResources resources = run.value();
        ThreadBudget.apply(resources.threadsPerTask());
        HfConfig hf = HfConfig.parse("config.json of run " + resources.runId(), resources.modelConfigJson());
        Path dir = new Path(modelDirectory);
        try (LlamaWeights weights = ModelDirectory.readWeights(
                HadoopFiles.fileSystem(dir, ExecutorModels.hadoopConfiguration()), dir, hf.model(), DataType.FLOAT);
             Tokenizer tokenizer = Tokenizer.fromJson("run " + resources.runId(), resources.tokenizerJson(),
                     resources.tokenizerConfigJson())) {
            SaliencySamples samples = SaliencySamples.compute(new LlamaModel(weights), saliency, tokenizer, stopToken,
                    problems, maxNewTokens, maxRowsPerPass);
            return List.of(samples.toJson().toString()).iterator();
        } catch (IOException e) {
            throw new UncheckedIOException("saliency samples of " + modelDirectory + " on an executor: " + e.getMessage(), e);
        } finally {
            BufferPool.trim();
        }
    }
}
