package org.atmanrl.driver.config;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --set applies after the file, in order, each value read as YAML. */
class TrainConfigOverridesTest {
    @TempDir
    Path tmp;

    @Test
    void setsOverrideTheFileInOrder() {
        String file = new ConfigFiles(tmp).write("c.yaml", ConfigFiles.REQUIRED + "steps: 10\ngrpo: {beta: 0.04}\n");
        TrainConfig c = ConfigFiles.load(file, "steps=20", "saliency.alpha=0", "steps=30",
                "grpo.loss_aggregation=sequence", "data.test=null");
        assertEquals(30, c.steps(), "the last --set of a key wins");
        assertEquals(0.04, c.grpo().beta(), "a key no --set names keeps the file's value");
        assertEquals(0.0, c.saliency().alpha());
        assertEquals(GrpoConfig.Aggregation.SEQUENCE, c.grpo().aggregation());
        assertNull(c.data().testPath());
        assertEquals(ConfigFiles.load(file).with("steps", "30").with("saliency.alpha", "0")
                .with("grpo.loss_aggregation", "sequence"), c);
    }

    /** The lora section from --set: target modules as a comma list or a YAML list, kept in the layer's order. */
    @Test
    void loraIsSetFromTheCommandLine() {
        String file = new ConfigFiles(tmp).write("c.yaml", ConfigFiles.REQUIRED);
        TrainConfig off = ConfigFiles.load(file);
        assertFalse(off.lora().on(), "LoRA is off by default");
        assertNull(off.lora().adapters());
        TrainConfig c = ConfigFiles.load(file, "lora.rank=16", "lora.alpha=32", "lora.target_modules=v_proj,q_proj");
        assertEquals(new LoraTrainingConfig(16, 32.0, 0.0, java.util.List.of("q_proj", "v_proj")), c.lora());
        assertEquals(c.lora(), ConfigFiles.load(file, "lora.rank=16", "lora.alpha=32",
                "lora.target_modules=[q_proj, v_proj]").lora());
        assertEquals(16, c.lora().adapters().rank());
    }

    @Test
    void setsCanFixWhatTheFileLeftOpen() {
        String file = new ConfigFiles(tmp).write("c.yaml", "steps: 10\n");
        TrainConfig c = ConfigFiles.load(file, "model=runs/sft", "output=runs/out", "faults.fail_task_step=2",
                "faults.fail_task_partition=1");
        assertEquals("runs/out", c.output());
        assertEquals(new FaultConfig(2L, 1, null, 1), c.faults());
    }

    @Test
    void aSectionWithEveryKeyCommentedOutChangesNothing() {
        String file = new ConfigFiles(tmp).write("c.yaml", ConfigFiles.REQUIRED + "grpo:\n  # beta: 0.04\nfaults:\n");
        assertEquals(ConfigFiles.demoDefaults(), ConfigFiles.load(file));
    }

    @Test
    void aMappingValueChangesOnlyTheKeysItNames() {
        TrainConfig c = ConfigFiles.load(null, "model=m", "output=o", "data.difficulty=harder",
                "data.difficulty.max_operations=6", "grpo={beta: 0.1, mu: 2}");
        ArithmeticDifficulty h = ArithmeticDifficulty.HARDER;
        assertEquals(new ArithmeticDifficulty(h.minOperations(), 6, h.minOperand(), h.maxOperand(), h.operators()),
                c.data().difficulty());
        assertEquals(with(GrpoConfig.defaults(), "maxCompletionLength", 48, "beta", 0.1, "mu", 2), c.grpo());
    }

    @Test
    void textKeysTakeTheValueLiterallyWhenYamlWouldReadSomethingElse() {
        TrainConfig c = ConfigFiles.load(null, "model=2024", "output=runs/a: b",
                "data.system_prompt=Answer: briefly, then #### and the number", "spark.master=local[2]");
        assertEquals("2024", c.model());
        assertEquals("runs/a: b", c.output());
        assertEquals("Answer: briefly, then #### and the number", c.data().systemPrompt());
        assertEquals("local[2]", c.spark().master());
        assertNull(ConfigFiles.load(null, "model=m", "output=o", "spark.master=").spark().master(), "empty is null");
    }

    @Test
    void withChangesOneKeyAndLeavesTheRest() {
        TrainConfig d = ConfigFiles.demoDefaults();
        TrainConfig c = d.with("saliency.metrics_when_off", "false").with("optimizer.schedule", "COSINE");
        assertFalse(c.saliencyMetrics());
        assertEquals(d.saliency(), c.saliency());
        assertEquals(d, c.with("saliency.metrics_when_off", "true").with("optimizer.schedule", "constant"));
        assertEquals(64, d.with("sampling.max_new_tokens", "64").grpo().maxCompletionLength());
    }
}
