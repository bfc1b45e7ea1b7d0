package org.atmanrl.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.task.DataSpec;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.junit.jupiter.api.Test;

/** The defaults are the records' (where the config's table does not say otherwise), and the documented example is them. */
class TrainConfigDefaultsTest {
    private static final String EXAMPLE = "../deploy/configs/embedded.yaml";

    @Test
    void defaultsAreTheRecordsDefaultsExceptWhereTheTableDiffers() {
        TrainConfig d = TrainConfig.defaults();
        assertNull(d.model());
        assertNull(d.output());
        assertEquals(0, d.seed());
        assertEquals(40, d.steps());
        assertEquals(16, d.promptsPerStep());
        assertEquals(2, d.partitions());
        assertEquals(DataSpec.embedded().withTestSize(200), d.data());
        assertEquals(new SamplingConfig(1.0, 1.0, 0, 48), d.sampling());
        assertEquals(GrpoConfig.defaults().withMaxCompletionLength(48), d.grpo());
        assertEquals(SaliencyConfig.defaults(), d.saliency());
        assertTrue(d.saliencyMetrics());
        AdamW.Config adam = AdamW.Config.defaults();
        assertEquals(new AdamW.Config(adam.beta1(), adam.beta2(), adam.eps(), 0.0, adam.decayScope()), d.optimizer().adam());
        assertEquals(new OptimizerConfig(3e-5, d.optimizer().adam(), 1.0, 0, LearningRateSchedule.Decay.CONSTANT, 0.1, 3),
                d.optimizer());
        assertEquals(new CheckpointConfig(10, 3), d.checkpoint());
        assertEquals(new EvalConfig(0, 200, 48, 4, true, 1), d.eval());
        assertEquals(new SparkConfig(null, 4), d.spark());
        assertEquals(new FaultConfig(null, null, null, 1), d.faults());
    }

    @Test
    void defaultsWithoutAFileNeedOnlyModelAndOutput() {
        assertEquals(ConfigFiles.demoDefaults(), ConfigFiles.load(null, "model=runs/sft", "output=runs/grpo"));
    }

    @Test
    void theDocumentedExampleLoadsToTheDefaultsWithTheDemosDirectories() {
        assertEquals(ConfigFiles.demoDefaults(), ConfigFiles.load(EXAMPLE));
    }

    @Test
    void theDocumentedExampleHasEveryKeyWithAComment() throws Exception {
        JsonNode tree = ConfigFormat.YAML.parse(Files.readString(Path.of(EXAMPLE)));
        List<String> lines = Files.readAllLines(Path.of(EXAMPLE));
        List<String> missing = new ArrayList<>();
        for (TrainConfigSchema.Key k : TrainConfigSchema.KEYS) {
            JsonNode parent = k.section().isEmpty() ? tree : tree.get(k.section());
            if (parent == null || !parent.has(k.leaf())) missing.add(k.name());
        }
        assertEquals(List.of(), missing, "keys the example does not document");
        List<String> uncommented = lines.stream()
                .filter(l -> l.matches("\\s*[a-z_0-9]+:\\s+[^#\\s].*") && !l.contains("#")).toList();
        assertEquals(List.of(), uncommented, "key lines without a comment");
    }

    @Test
    void settingsGiveTheRecordsTheyStandFor() {
        TrainConfig d = ConfigFiles.demoDefaults();
        SamplingParams p = d.sampling().params(7);
        assertEquals(48, p.maxNewTokens());
        assertEquals(7, p.stopTokens()[0]);
        LearningRateSchedule cosine = d.with("optimizer.schedule", "cosine").with("optimizer.warmup_steps", "10")
                .optimizer().schedule(d.steps());
        assertEquals(0.0, cosine.at(0));
        assertEquals(3e-5, cosine.at(10), 1e-18);
        assertEquals(3e-6, cosine.at(40), 1e-18);
        FaultConfig faults = d.with("faults.nan_gradient_step", "5").faults();
        assertTrue(faults.nanGradientAt(5) && !faults.nanGradientAt(4) && !faults.nanGradientAt(6));
        assertTrue(Float.isNaN(faults.poisonAt(5)));
        FaultConfig streak = d.with("faults.nan_gradient_step", "5").with("faults.nan_gradient_count", "3").faults();
        assertTrue(streak.nanGradientAt(7) && !streak.nanGradientAt(8));
        assertEquals(Float.POSITIVE_INFINITY, streak.poisonAt(6), "a streak alternates NaN and +Inf");
        assertTrue(Float.isNaN(streak.poisonAt(7)));
        assertEquals(0, d.with("optimizer.max_skipped_steps", "0").optimizer().maxSkippedSteps());
    }
}
