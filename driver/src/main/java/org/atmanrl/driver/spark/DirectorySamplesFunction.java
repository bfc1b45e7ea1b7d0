package org.atmanrl.driver.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.saliency.SaliencyConfig;

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
        String json = DirectoryModel.apply(run.value(), modelDirectory,
                "saliency samples of " + modelDirectory + " on an executor", (weights, hf, tokenizer) ->
                        SaliencySamples.compute(new LlamaModel(weights), saliency, tokenizer, stopToken, problems,
                                maxNewTokens, maxRowsPerPass).toJson().toString());
        return List.of(json).iterator();
    }
}
