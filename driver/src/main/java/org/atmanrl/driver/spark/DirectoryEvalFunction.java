package org.atmanrl.driver.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.Evaluation;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.reward.data.Problem;

/**
 * One Spark task of a barrier run's evaluation (docs/design.md 3.5, "Evaluation"): as
 * {@link EvalTaskFunction}, but the policy is read on the executor from a model directory (the
 * run's model before training, or a just-completed checkpoint's {@code model/}) through Hadoop
 * FileSystem, so the driver never holds the weights. The weights read as fp32 are those sync mode
 * broadcasts at the same step, so the report is sync mode's.
 */
final class DirectoryEvalFunction implements Function2<Integer, Iterator<Problem>, Iterator<EvalReport>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RunResources> run;
    private final String modelDirectory;
    private final Evaluation evaluation;
    private final int stopToken;
    private final String dataSet;

    DirectoryEvalFunction(Broadcast<RunResources> run, String modelDirectory, Evaluation evaluation, int stopToken,
                          String dataSet) {
        this.run = run;
        this.modelDirectory = modelDirectory;
        this.evaluation = evaluation;
        this.stopToken = stopToken;
        this.dataSet = dataSet;
    }

    @Override
    public Iterator<EvalReport> call(Integer partition, Iterator<Problem> shard) {
        List<Problem> problems = new ArrayList<>();
        shard.forEachRemaining(problems::add);
        if (problems.isEmpty()) return Collections.emptyIterator();
        EvalReport report = DirectoryModel.apply(run.value(), modelDirectory,
                "evaluating " + modelDirectory + " on an executor", (weights, hf, tokenizer) ->
                        evaluation.run(new LlamaModel(weights), tokenizer, stopToken, dataSet, problems));
        return List.of(report).iterator();
    }
}
