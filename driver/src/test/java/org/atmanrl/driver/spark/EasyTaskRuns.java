package org.atmanrl.driver.spark;

import java.io.File;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.config.TrainConfigLoader;

/**
 * The small training runs of the Spark tests: a config over the {@link EasyTaskModel} fixture
 * (3 steps of 4 prompts in 2 partitions, short completions, checkpoints every step) that each test
 * changes with {@code --set}s, and a run of it whose messages go to a list.
 */
final class EasyTaskRuns {
    private EasyTaskRuns() {
    }

    static TrainConfig config(File dir, String model, String out, String... sets) throws Exception {
        File yaml = new File(dir, "config-" + System.nanoTime() + ".yaml");
        Files.writeString(yaml.toPath(), String.join("\n",
                "model: " + model,
                "output: " + out,
                "seed: 7",
                "steps: 3",
                "prompts_per_step: 4",
                "partitions: 2",
                "data: {task: arithmetic, test_size: 8, difficulty: " + EasyTaskModel.DIFFICULTY_YAML + "}",
                "sampling: {max_new_tokens: 16}",
                "grpo: {group_size: 4}",
                "saliency: {steps: 2}",
                "optimizer: {lr: 1.0e-3}",
                "checkpoint: {every: 1, keep_last: 2}",
                "eval: {size: 8, max_new_tokens: 16}", ""));
        return TrainConfigLoader.load(new Configuration(), yaml.getPath(), Arrays.asList(sets));
    }

    static SparkTraining.Outcome train(JavaSparkContext sc, TrainConfig c, boolean resume, long stopAfter,
                                       List<String> messages) throws Exception {
        return new SparkTraining(sc, c, new SparkTraining.Listener() {
            @Override
            public void message(String line) {
                messages.add(line);
            }

            @Override
            public void step(SparkTraining.StepReport report) {
            }
        }).run(resume, stopAfter);
    }
}
