package org.atmanrl.driver.config;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.executor.optim.LearningRateSchedule;
import org.atmanrl.executor.data.DataSpec;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.junit.jupiter.api.Test;

/** The defaults are the key table's, mostly the records' own, and the documented example is them, comments and all. */
class TrainConfigDefaultsTest {
    private static final String EXAMPLE = "../deploy/configs/embedded.yaml";

    @Test
    void everyKeyDefaultsToItsDeclaredValue() {
        TrainConfig d = TrainConfig.defaults();
        for (TrainConfigSchema.Key k : TrainConfigSchema.KEYS) {
            assertEquals(k.byDefault(), k.get().apply(d), k.name());
        }
    }

    @Test
    void defaultsAreTheRecordsOwnExceptWhereTheKeyTableSaysOtherwise() {
        TrainConfig d = TrainConfig.defaults();
        assertNull(d.model());
        assertNull(d.output());
        assertEquals(SaliencyConfig.defaults(), d.saliency());
        GrpoConfig grpo = GrpoConfig.defaults();
        assertEquals(with(grpo, "maxCompletionLength", d.sampling().maxNewTokens()), d.grpo(),
                "GRPO's budget is sampling's");
        assertEquals(48, d.sampling().maxNewTokens(), "the embedded task's completions are ~25; TRL's 256 is too many");
        AdamW.Config adam = AdamW.Config.defaults();
        assertEquals(0.0, d.optimizer().adam().weightDecay(), "TRL's and the HF Trainer's, not PyTorch's 0.01");
        assertEquals(adam, d.with("optimizer.weight_decay", Double.toString(adam.weightDecay())).optimizer().adam());
        DataSpec data = DataSpec.embedded();
        assertEquals(200, d.data().testSize());
        assertEquals(data, d.with("data.test_size", Integer.toString(data.testSize())).data());
    }

    @Test
    void defaultsWithoutAFileNeedOnlyModelAndOutput() {
        assertEquals(ConfigFiles.demoDefaults(), ConfigFiles.load(null, "model=runs/sft", "output=runs/grpo"));
    }

    @Test
    void theDocumentedExampleLoadsToTheDefaultsWithTheDemosDirectories() {
        assertEquals(ConfigFiles.demoDefaults(), ConfigFiles.load(EXAMPLE));
    }

    /**
     * Below its header, deploy/configs/embedded.yaml is the defaults as --print-config writes them:
     * every key, its default, its doc and range from the key table. A key added, a default or doc
     * changed in one place and not the other fails here, naming the line.
     */
    @Test
    void theDocumentedExampleIsTheKeyTableAtItsDefaults() throws Exception {
        List<String> file = Files.readAllLines(Path.of(EXAMPLE));
        List<String> written = ConfigFiles.demoDefaults().toYaml().lines().toList();
        int fileStart = firstKeyLine(file), writtenStart = firstKeyLine(written);
        for (int i = 0; fileStart + i < file.size() || writtenStart + i < written.size(); i++) {
            String have = fileStart + i < file.size() ? file.get(fileStart + i) : "(end of file)";
            String want = writtenStart + i < written.size() ? written.get(writtenStart + i) : "(end of file)";
            assertEquals(want, have, EXAMPLE + ":" + (fileStart + i + 1) + " differs from the key table; its keys are the"
                    + " output of: atmanrl train --set model=runs/sft --set output=runs/grpo --print-config");
        }
    }

    /** The index of the first line that is neither a comment nor blank. */
    private static int firstKeyLine(List<String> lines) {
        int i = 0;
        while (i < lines.size() && (lines.get(i).isBlank() || lines.get(i).startsWith("#"))) i++;
        return i;
    }

    @Test
    void sectionsGiveTheRecordsTheyStandFor() {
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
