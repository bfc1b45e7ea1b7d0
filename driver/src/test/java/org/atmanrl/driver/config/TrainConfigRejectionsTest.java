package org.atmanrl.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.atmanrl.executor.data.DataSpec;
import org.atmanrl.reward.data.SuggestedAnswers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each unusable input is one line naming the source, the key, what was given and what is allowed. */
class TrainConfigRejectionsTest {
    @TempDir
    Path tmp;
    private ConfigFiles files;

    @BeforeEach
    void setUp() {
        files = new ConfigFiles(tmp);
    }

    /** The message of loading {@code text} as {@code name} with {@code sets}; asserts it is one line. */
    private String rejected(String name, String text, String... sets) {
        String file = name == null ? null : files.write(name, text);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFiles.load(file, sets));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    /** As {@link #rejected(String, String, String...)} for {@code x.yaml} holding model, output and {@code text}. */
    private String rejectedYaml(String text, String... sets) {
        return rejected("x.yaml", ConfigFiles.REQUIRED + text, sets);
    }

    private String source() {
        return "config " + tmp.resolve("x.yaml") + ": ";
    }

    private static void assertContains(String expected, String actual) {
        assertTrue(actual.contains(expected), () -> "expected <" + expected + "> in <" + actual + ">");
    }

    @Test
    void unknownKeyInASectionListsTheSectionsKeys() {
        assertEquals(source() + "unknown key 'grpo.group_sise' (grpo has: group_size, scale, std, advantage_epsilon,"
                + " epsilon_low, epsilon_high, beta, loss_aggregation, drop_zero_variance_groups, mu, micro_batch_rows)",
                rejectedYaml("grpo:\n  group_sise: 8\n"));
    }

    @Test
    void unknownTopLevelKeyListsTheTopLevel() {
        assertEquals(source() + "unknown key 'modle' (the top level has: model, output, seed, steps, prompts_per_step,"
                + " partitions, mode, weight_storage, data, sampling, grpo, saliency, optimizer, lora, checkpoint, eval, spark,"
                + " faults)",
                rejectedYaml("modle: x\n"));
    }

    @Test
    void loraKeysAreCheckedInOneLine() {
        assertEquals(source() + "lora.rank: must be in [0, 65536], got -1", rejectedYaml("lora: {rank: -1}\n"));
        assertEquals(source() + "lora.dropout: must be in [0, 1), got 1.0", rejectedYaml("lora: {dropout: 1}\n"));
        assertContains("lora.alpha: must be > 0, got 0.0", rejectedYaml("lora: {rank: 4, alpha: 0}\n"));
        assertContains("lora.target_modules: lora target_modules: 'lm_head' is not one of q_proj, k_proj,",
                rejectedYaml("lora: {target_modules: [q_proj, lm_head]}\n"));
        assertContains("lora.target_modules: lora target_modules names 'q_proj' twice",
                rejectedYaml("lora: {target_modules: [q_proj, q_proj]}\n"));
        assertContains("lora.target_modules: lora target_modules must name at least one of",
                rejectedYaml("lora: {target_modules: []}\n"));
    }

    @Test
    void maxCompletionLengthIsNotAGrpoKey() {
        assertContains("unknown key 'grpo.max_completion_length'", rejectedYaml("grpo: {max_completion_length: 64}\n"));
    }

    @Test
    void aStringWhereAnIntegerIsWanted() {
        assertEquals(source() + "grpo.group_size: expected an integer in [1, 4096], got \"eight\"",
                rejectedYaml("grpo: {group_size: eight}\n"));
    }

    @Test
    void aStringWhereANumberIsWanted() {
        assertEquals(source() + "sampling.temperature: expected a number >= 0, got \"hot\"",
                rejectedYaml("sampling: {temperature: hot}\n"));
    }

    @Test
    void aQuotedNumberIsAString() {
        assertEquals(source() + "steps: expected an integer in [1, 99999999], got \"10\"", rejectedYaml("steps: '10'\n"));
    }

    @Test
    void anEnumValueOutsideItsNames() {
        assertEquals(source() + "saliency.objective: expected one of preservation, deletion, got \"keep\"",
                rejectedYaml("saliency: {objective: keep}\n"));
        assertEquals("--set data.task=math: data.task: expected one of arithmetic, arithmetic-control,"
                + " arithmetic-hint, gsm8k, mmlu, got \"math\"", rejectedYaml("", "data.task=math"));
    }

    @Test
    void aNumberWhereAMappingIsWanted() {
        assertEquals(source() + "grpo: expected a mapping of group_size, scale, std, advantage_epsilon, epsilon_low,"
                + " epsilon_high, beta, loss_aggregation, drop_zero_variance_groups, mu, micro_batch_rows, got 3",
                rejectedYaml("grpo: 3\n"));
    }

    @Test
    void aFractionWhereAnIntegerIsWanted() {
        assertEquals(source() + "steps: expected an integer in [1, 99999999], got 2.5", rejectedYaml("steps: 2.5\n"));
    }

    @Test
    void numbersBeyondTheirType() {
        assertEquals(source() + "optimizer.lr: expected a number >= 0, got a number beyond double range",
                rejectedYaml("optimizer: {lr: 1e400}\n"));
        assertEquals(source() + "steps: expected an integer in [1, 99999999], got 99999999999, out of range",
                rejectedYaml("steps: 99999999999\n"));
    }

    @Test
    void aBooleanKeyWantsTrueOrFalse() {
        assertEquals(source() + "grpo.drop_zero_variance_groups: expected true or false, got \"maybe\"",
                rejectedYaml("grpo: {drop_zero_variance_groups: maybe}\n"));
    }

    @Test
    void aRecordsRangeNamesTheSetThatBrokeIt() {
        assertEquals("--set grpo.beta=-1: grpo.beta: must be >= 0, got -1.0", rejectedYaml("", "grpo.beta=-1"));
        assertEquals(source() + "saliency.epsilon: must be in [0, 1), got 1.5", rejectedYaml("saliency: {epsilon: 1.5}\n"));
        assertEquals(source() + "sampling.top_p: must be in (0, 1], got 0.0", rejectedYaml("sampling: {top_p: 0}\n"));
    }

    @Test
    void modelAndOutputAreRequired() {
        assertEquals("config: model is required (the starting model directory)", rejected(null, null, "output=o"));
        assertEquals("config: output is required (the run directory)", rejected(null, null, "model=m"));
        assertEquals("--set model=null: model is required (the starting model directory)",
                rejectedYaml("", "model=null"));
    }

    @Test
    void malformedYamlGivesLineAndColumn() {
        assertEquals(source() + "malformed YAML at line 5, column 2: expected <block end>, but found"
                + " '<block mapping start>' (while parsing a block mapping)", rejectedYaml("grpo:\n  beta: 1\n mu: 2\n"));
    }

    @Test
    void malformedJsonGivesLineAndColumn() {
        String message = rejected("x.json", "{\"model\": \"m\",\n \"steps\": 3,}\n");
        assertContains("config " + tmp.resolve("x.json") + ": malformed JSON at line 2, column 14: Unexpected character",
                message);
    }

    @Test
    void duplicateKeysAreFaults() {
        assertEquals(source() + "malformed YAML at line 5, column 7: duplicate key 'beta'",
                rejectedYaml("grpo:\n  beta: 0.1\n  beta: 0.2\n"));
        assertContains("malformed JSON at line 1, column 21: duplicate key 'steps'",
                rejected("d.json", "{\"steps\": 3, \"steps\": 4}"));
    }

    @Test
    void emptyFilesAndFilesThatAreNotAMapping() {
        assertContains(": the file is empty; expected a mapping", rejected("e.yaml", "# nothing yet\n"));
        assertContains(": the file is empty", rejected("e.json", ""));
        assertEquals(source() + "expected a mapping of keys at the top level, got a list", rejected("x.yaml", "- a\n- b\n"));
        assertEquals(source() + "malformed YAML at line 4, column 1: more content after the config's mapping (one config"
                + " per file)", rejectedYaml("---\nsteps: 3\n"));
    }

    @Test
    void missingFilesAndUnknownFormats() {
        String missing = tmp.resolve("nope.yaml").toString();
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigFiles.load(missing));
        assertEquals("config: file not found: " + missing, e.getMessage());
        assertEquals("config " + tmp.resolve("c.toml") + ": unknown format; expected a .yaml, .yml or .json file",
                rejected("c.toml", "model = 1"));
        Path dir = tmp.resolve("sub.yaml");
        assertTrue(dir.toFile().mkdir());
        ConfigException e2 = assertThrows(ConfigException.class, () -> ConfigFiles.load(dir.toString()));
        assertEquals("config " + dir + ": is a directory, not a config file", e2.getMessage());
    }

    @Test
    void setsNeedKeyEqualsValueAndAKnownKey() {
        assertEquals("--set grpo.beta: expected key=value, e.g. --set grpo.beta=0.04", rejectedYaml("", "grpo.beta"));
        assertEquals("--set =3: expected key=value, e.g. --set grpo.beta=0.04", rejectedYaml("", "=3"));
        assertContains("--set grpo.betta=0: unknown key 'grpo.betta' (grpo has: group_size,", rejectedYaml("", "grpo.betta=0"));
        assertEquals("--set grpo.beta=[1: grpo.beta: malformed YAML at line 1, column 3: expected ',' or ']', but got"
                + " <stream end> (while parsing a flow sequence)", rejectedYaml("", "grpo.beta=[1"));
    }

    @Test
    void faultInjectionNeedsStepAndPartitionTogether() {
        assertEquals(source() + "faults.fail_task_step: fail_task_step and fail_task_partition must be set together or"
                + " both null, got 3 and null", rejectedYaml("faults: {fail_task_step: 3}\n"));
        assertContains("faults.fail_task_partition: fail_task_step 3 and fail_task_partition 2 must be < steps 40 and"
                + " < partitions 2", rejectedYaml("faults: {fail_task_step: 3}\n", "faults.fail_task_partition=2"));
    }

    @Test
    void poisonedGradientsMustFallInsideTheRunAndSkipLimitsAreCounts() {
        assertContains("--set faults.nan_gradient_count=3: faults.nan_gradient_count: nan_gradient_step 38 plus"
                + " nan_gradient_count 3 must be <= steps 40", rejectedYaml("faults: {nan_gradient_step: 38}\n",
                "faults.nan_gradient_count=3"));
        assertEquals(source() + "faults.nan_gradient_count: expected an integer in [1, 99999999], got null",
                rejectedYaml("faults: {nan_gradient_count: null}\n"));
        assertEquals(source() + "faults.nan_gradient_count: must be in [1, 99999999], got 0",
                rejectedYaml("faults: {nan_gradient_count: 0}\n"));
        assertEquals(source() + "optimizer.max_skipped_steps: must be in [0, 99999999], got -1",
                rejectedYaml("optimizer: {max_skipped_steps: -1}\n"));
        assertEquals(source() + "optimizer.max_skipped_steps: expected an integer in [0, 99999999], got \"three\"",
                rejectedYaml("optimizer: {max_skipped_steps: three}\n"));
    }

    @Test
    void partitionsAndStepsAreBounded() {
        assertContains(source() + "partitions: must be <= prompts_per_step", rejectedYaml("partitions: 17\n"));
        assertEquals(source() + "partitions: must be in [1, 65536], got 0", rejectedYaml("partitions: 0\n"));
        assertEquals(source() + "steps: must be in [1, 99999999], got 0", rejectedYaml("steps: 0\n"));
        assertContains("--set prompts_per_step=1: prompts_per_step: partitions must be <= prompts_per_step",
                rejectedYaml("", "prompts_per_step=1"));
    }

    @Test
    void fileTasksNeedTrainAndTestFiles() {
        assertEquals(source() + "data.task: task gsm8k needs a test file (data.test)", rejectedYaml("data: {task: gsm8k}\n"));
        assertEquals(source() + "data.task: task mmlu needs a training file (data.train)",
                rejectedYaml("data: {task: mmlu, test: t.jsonl}\n"));
        assertEquals("--set data.train=null: data.train: task gsm8k needs a training file (data.train)",
                rejectedYaml("data: {task: gsm8k, train: a.jsonl, test: b.jsonl}\n", "data.train=null"));
    }

    @Test
    void fewShotKeysAreMmlusAndGoTogether() {
        String mmlu = "data: {task: mmlu, train: a.jsonl, test: b.jsonl, dev: d.jsonl, shots: 5}\n";
        DataSpec data = ConfigFiles.load(new ConfigFiles(tmp).write("ok.yaml", ConfigFiles.REQUIRED + mmlu)).data();
        assertEquals("d.jsonl", data.devPath());
        assertEquals(5, data.shots());
        assertEquals(source() + "data.shots: 5 shots need a dev file to take them from (data.dev)",
                rejectedYaml("data: {task: mmlu, train: a.jsonl, test: b.jsonl, shots: 5}\n"));
        assertEquals(source() + "data.dev: a dev file (data.dev d.jsonl) is only read for few-shot prompts; set"
                + " data.shots >= 1 (5 is MMLU's protocol)",
                rejectedYaml("data: {task: mmlu, train: a.jsonl, test: b.jsonl, dev: d.jsonl}\n"));
        assertEquals("--set data.task=gsm8k: data.task: few-shot prompts (data.dev, data.shots) are for task mmlu;"
                + " task gsm8k is zero-shot", rejectedYaml(mmlu, "data.task=gsm8k"));
        assertEquals(source() + "data.shots: must be in [0, 64], got -1",
                rejectedYaml("data: {task: mmlu, train: a.jsonl, test: b.jsonl, dev: d.jsonl, shots: -1}\n"));
    }

    @Test
    void aSuggestedWrongAnswerIsForGsm8kAndMmlu() {
        String gsm8k = "data: {task: gsm8k, train: a.jsonl, test: b.jsonl, suggested_answer: wrong}\n";
        DataSpec data = ConfigFiles.load(new ConfigFiles(tmp).write("ok.yaml", ConfigFiles.REQUIRED + gsm8k)).data();
        assertEquals(SuggestedAnswers.Mode.WRONG, data.suggestedAnswer());
        assertEquals(SuggestedAnswers.wrong(0), data.suggestions());
        assertEquals(SuggestedAnswers.Mode.NONE, ConfigFiles.demoDefaults().data().suggestedAnswer(), "off by default");
        assertEquals(source() + "data.suggested_answer: suggested_answer wrong is for tasks gsm8k and mmlu; the"
                + " arithmetic tasks have their own hint: task arithmetic-hint (data.hint_accuracy)",
                rejectedYaml("data: {suggested_answer: wrong}\n"));
        assertEquals("--set data.task=arithmetic-hint: data.task: suggested_answer wrong is for tasks gsm8k and mmlu;"
                + " the arithmetic tasks have their own hint: task arithmetic-hint (data.hint_accuracy)",
                rejectedYaml(gsm8k, "data.task=arithmetic-hint"));
        assertEquals(source() + "data.suggested_answer: expected one of none, wrong, got \"right\"",
                rejectedYaml("data: {task: gsm8k, train: a.jsonl, test: b.jsonl, suggested_answer: right}\n"));
    }

    @Test
    void crossKeyFaultsBlameTheLatestChange() {
        assertEquals("--set optimizer.schedule=cosine: optimizer.schedule: a cosine schedule needs warmup_steps < steps,"
                + " got 40 and 40", rejectedYaml("optimizer: {warmup_steps: 40}\n", "optimizer.schedule=cosine"));
        assertEquals(source() + "optimizer.schedule: a cosine schedule needs warmup_steps < steps, got 40 and 40",
                rejectedYaml("optimizer: {warmup_steps: 40, schedule: cosine}\n"));
        assertEquals(source() + "eval.size: eval size 300 must be <= data.test_size 200 (evaluation draws from the test"
                + " problems)", rejectedYaml("eval: {size: 300}\n"));
    }

    @Test
    void twoFaultsReportTheFirstInFileOrder() {
        // Ranges are checked key by key in file order: beta before mu, although the --set came later.
        assertEquals(source() + "grpo.beta: must be >= 0, got -1.0", rejectedYaml("grpo: {beta: -1}\n", "grpo.mu=0"));
    }

    @Test
    void difficultyMappingsAreChecked() {
        assertEquals(source() + "unknown key 'data.difficulty.ops' (data.difficulty has: min_operations, max_operations,"
                + " min_operand, max_operand, operators)", rejectedYaml("data: {difficulty: {ops: 3}}\n"));
        assertEquals(source() + "data.difficulty.max_operations: expected an integer in [1, 64], got \"many\"",
                rejectedYaml("data: {difficulty: {max_operations: many}}\n"));
        assertEquals(source() + "data.difficulty: operators must be distinct characters from \"+-*\", at least one,"
                + " not \"+/\"", rejectedYaml("data: {difficulty: {operators: +/}}\n"));
        assertEquals(source() + "data.difficulty: expected default, harder or a mapping of min_operations,"
                + " max_operations, min_operand, max_operand, operators, got \"extreme\"",
                rejectedYaml("data: {difficulty: extreme}\n"));
    }

    @Test
    void withChecksLikeASet() {
        ConfigException e = assertThrows(ConfigException.class, () -> TrainConfig.defaults().with("grpo.mu", "0"));
        assertEquals("--set grpo.mu=0: grpo.mu: must be in [1, 1024], got 0", e.getMessage());
        e = assertThrows(ConfigException.class, () -> TrainConfig.defaults().with("grpo.muu", "1"));
        assertContains("unknown key 'grpo.muu'", e.getMessage());
    }
}
