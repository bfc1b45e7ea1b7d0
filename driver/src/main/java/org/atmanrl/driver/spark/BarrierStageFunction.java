package org.atmanrl.driver.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import java.util.function.Consumer;
import org.atmanrl.driver.checkpoint.ShardedCheckpoint;
import org.atmanrl.driver.config.FaultConfig;
import org.atmanrl.driver.step.PolicyStep;
import org.atmanrl.driver.step.SkipStreak;
import org.atmanrl.executor.collective.Collective;
import org.atmanrl.executor.collective.Shards;
import org.atmanrl.executor.collective.TcpTransport;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.NormalisedGradient;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.optim.PolicyUpdate;
import org.atmanrl.executor.task.RolloutScoring;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.Problem;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.runtime.AbstractFunction1;

/**
 * One rank of a barrier stage (docs/design.md 3.5): a full replica of the policy for the stage's
 * steps. Per step it trains on the prompts sync mode gives its partition ({@link PartitionStep},
 * {@link SyncPartitions}); exchanges the small part of every rank's result so each adds them in rank
 * order as sync mode's driver does; reduce-scatters the gradient sums (rank order, sync mode's
 * fold); normalises, clips by the global norm combined from the ranks' shards and steps AdamW on its
 * own shard only ({@link PolicyStep}, {@link PolicyUpdate}: the driver's code in sync mode); and
 * all-gathers the updated shards into its replica. At the stage's end it writes its shard of the
 * checkpoint. Weights come from the model directory or the last checkpoint through Hadoop
 * FileSystem, never from the driver.
 */
final class BarrierStageFunction extends AbstractFunction1<Iterator<Integer>, Iterator<BarrierStepReport>>
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The stage's plan: steps {@code [first, end)}; the weights to start from ({@code startModel}, a
     * model directory) and the AdamW state ({@code resumeFrom}, a checkpoint directory that
     * {@code resumeRanks} ranks wrote, or null for fresh moments at {@code optimizerSteps} 0); where
     * the checkpoint's shards go; which attempt at the stage this is (the driver reruns a failed one).
     */
    record Plan(long first, long end, int promptsPerStep, String startModel, String resumeFrom, int resumeRanks,
                long optimizerSteps, int skippedInARow, int maxSkipped, String temporary, int attempt)
            implements Serializable {
        Plan withAttempt(int n) {
            return new Plan(first, end, promptsPerStep, startModel, resumeFrom, resumeRanks, optimizerSteps,
                    skippedInARow, maxSkipped, temporary, n);
        }
    }

    /** The run's settings a rank needs besides the broadcast resources. */
    record Settings(RolloutScoring scoring, int stopToken, long seed, AdamW.Config adam, LearningRateSchedule schedule,
                    double clipNorm, FaultConfig faults) implements Serializable {
    }

    private final Broadcast<RunResources> run;
    private final Broadcast<Problem[]> prompts;
    private final Plan plan;
    private final Settings settings;
    /** The run's transport key: in the task only, never in a message, log or toString. */
    private final byte[] key;

    BarrierStageFunction(Broadcast<RunResources> run, Broadcast<Problem[]> prompts, Plan plan, Settings settings,
                         byte[] key) {
        this.run = run;
        this.prompts = prompts;
        this.plan = plan;
        this.settings = settings;
        this.key = key.clone();
    }

    @Override
    public Iterator<BarrierStepReport> apply(Iterator<Integer> ignored) {
        BarrierTaskContext context = BarrierTaskContext.get();
        int rank = context.partitionId(), ranks = context.getTaskInfos().length;
        RunResources resources = run.value();
        Configuration conf = ExecutorModels.hadoopConfiguration();
        return DirectoryModel.apply(resources, plan.startModel(), "barrier rank " + rank + " of steps "
                + (plan.first() + 1) + "-" + plan.end(), (weights, hf, tokenizer) -> {
            try (TcpTransport transport = BarrierRendezvous.connect(context, resources.runId() + "/" + plan.first(), key)) {
                Map<String, INDArray> named = weights.named();
                Map<String, long[]> shapes = LlamaWeights.shapes(hf.model());
                Shards shards = Shards.split(shapes, ranks);
                Map<String, INDArray> own = new LinkedHashMap<>();
                for (String n : ShardedCheckpoint.shard(shapes, shards, rank).keySet()) own.put(n, named.get(n));
                AdamW adam = new AdamW(settings.adam(), own);
                if (plan.resumeFrom() != null) {
                    Path dir = new Path(plan.resumeFrom());
                    adam.restore(ShardedCheckpoint.readRank(HadoopFiles.fileSystem(dir, conf), dir, plan.resumeRanks(),
                            shapes, ShardedCheckpoint.shard(shapes, shards, rank), plan.optimizerSteps()));
                }
                Collective collective = new Collective(transport, shards);
                List<BarrierStepReport> reports = train(new LlamaModel(weights), tokenizer, collective, adam,
                        own, named, rank, ranks, shards.firstTensor(rank) == 0 && shards.endTensor(rank) > 0);
                Path temporary = new Path(plan.temporary());
                ShardedCheckpoint.writeRank(HadoopFiles.fileSystem(temporary, conf), temporary, rank, ranks, own,
                        adam.state());
                return JavaConverters.asScalaIteratorConverter(rank == 0 ? reports.iterator()
                        : List.<BarrierStepReport>of().iterator()).asScala();
            }
        });
    }

    /** The stage's steps on this rank's replica; stops early when the skip streak is exceeded. */
    private List<BarrierStepReport> train(LlamaModel model, Tokenizer tokenizer,
                                          Collective collective, AdamW adam, Map<String, INDArray> own,
                                          Map<String, INDArray> named, int rank, int ranks, boolean holdsFirstTensor)
            throws IOException {
        PolicyUpdate update = new PolicyUpdate(adam, settings.schedule(), settings.clipNorm(), g -> {
            try {
                return collective.sumOfSquares(g.sumOfSquares(1)); // this rank's shard, then the ranks' in order
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        List<Problem> all = Arrays.asList(prompts.value());
        SkipStreak streak = new SkipStreak(plan.skippedInARow(), plan.maxSkipped());
        List<BarrierStepReport> reports = new ArrayList<>();
        for (long step = plan.first(); step < plan.end(); step++) {
            if (plan.attempt() == 0 && settings.faults().failsTask(step, rank)) {
                throw new StepTaskFunction.InjectedFault("injected fault: rank " + rank + " fails at step " + step
                        + " (0-based) of its stage's first attempt (faults.fail_task_*)");
            }
            long t0 = System.nanoTime();
            int offset = (int) ((step - plan.first()) * plan.promptsPerStep());
            List<Problem> mine = SyncPartitions.slice(all.subList(offset, offset + plan.promptsPerStep()), ranks, rank);
            PartitionStep work = new PartitionStep(settings.scoring(), settings.stopToken(), settings.seed(), step);
            TaskResult result = work.gradient(model, work.prepare(model, null, null, tokenizer, mine), 0);
            long t1 = System.nanoTime();
            TaskResult merged = TaskResult.sum(BarrierRendezvous.allGather(collective, withoutGradient(result)));
            NamedArrays shardSum = collective.reduceScatter(result.gradient().gradientSums());
            TaskResult shard = withGradient(merged, shardSum);
            long t2 = System.nanoTime();
            PolicyStep.Result r = PolicyStep.run(1, step, u -> shard, fault(step, holdsFirstTensor), update);
            if (!r.skipped()) gatherInto(collective, own, named);
            long t3 = System.nanoTime();
            streak = streak.after(r.skipped());
            reports.add(new BarrierStepReport(step + 1, merged, r.update().gradNorm(), r.update().clip().scale(),
                    r.update().lr(), adam.steps(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9,
                    (t3 - t0) / 1e9));
            if (streak.exceeded()) break; // the driver stops the run; this stage's checkpoint holds these weights
        }
        return reports;
    }

    /**
     * The fault drill's poison (faults.nan_gradient_*), written where sync mode writes it: into the
     * first value of the model's first tensor, so by the rank whose shard holds that tensor.
     */
    private Consumer<NormalisedGradient> fault(long step, boolean holdsFirstTensor) {
        FaultConfig f = settings.faults();
        return holdsFirstTensor && f.nanGradientAt(step) ? g -> g.gradients()[0][0] = f.poisonAt(step) : null;
    }

    /** The updated shards of every rank into this replica: its own are AdamW's live arrays already. */
    private static void gatherInto(Collective collective, Map<String, INDArray> own, Map<String, INDArray> named)
            throws IOException {
        NamedArrays full = collective.allGather(NamedArrays.of(own));
        for (int i = 0; i < full.size(); i++) {
            if (own.containsKey(full.name(i))) continue;
            INDArray target = named.get(full.name(i));
            INDArray src = Nd4j.create(full.values(i), target.shape(), 'c');
            target.assign(src);
            src.close();
        }
    }

    private static TaskResult withoutGradient(TaskResult r) {
        return withGradient(r, new NamedArrays(new String[0], new long[0][], new float[0][]));
    }

    /** {@code r} with {@code gradientSums} in place of its gradient arrays (its loss and count sums kept). */
    private static TaskResult withGradient(TaskResult r, NamedArrays gradientSums) {
        GradientContribution g = new GradientContribution(r.gradient().aggregation(), gradientSums, r.gradient().sums());
        return new TaskResult(g, r.metrics(), r.timings(), r.slowestTask(), r.tasks(), r.masksCollapsed(), r.head(),
                r.audit());
    }
}
