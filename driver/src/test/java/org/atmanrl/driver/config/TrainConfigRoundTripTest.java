package org.atmanrl.driver.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** toYaml writes every key so that loading it gives the same config; JSON and YAML read alike. */
class TrainConfigRoundTripTest {
    /** Every key away from its default. */
    static final String EVERY_KEY_CHANGED = """
            model: hdfs://nn:8020/models/base
            output: "runs/grpo 1"
            seed: 7
            steps: 100
            prompts_per_step: 32
            partitions: 4
            data:
              task: MMLU
              train:
                - /data/mmlu/mmlu_val.jsonl
                - "hdfs://nn:8020/tables/mmlu train/dt=2026-12-*"
              test: /data/mmlu/mmlu_test/
              dev: /data/mmlu/mmlu_dev.parquet
              shots: 5
              template: chat
              system_prompt: "Answer: think step by step.\\nThen write #### and the number."
              malformed_rows: skip
              difficulty: {min_operations: 1, max_operations: 3, min_operand: 0, max_operand: 99, operators: "+-*"}
              data_seed: 11
              test_size: 300
              hint_accuracy: 0.6
              suggested_answer: wrong
            sampling: {temperature: 0.7, top_p: 0.95, top_k: 50, max_new_tokens: 256}
            grpo:
              group_size: 4
              scale: none
              std: population
              advantage_epsilon: 1.0e-6
              epsilon_low: 0.1
              epsilon_high: 0.28
              beta: 0.04
              loss_aggregation: dr_grpo
              drop_zero_variance_groups: true
              mu: 2
              micro_batch_rows: 3
            saliency:
              alpha: 1.5
              steps: 4
              lr: 1
              theta0: -1.0
              lambda: 0.5
              epsilon: 1.0e-3
              objective: Deletion
              reward_form: s_times_c
              perturbation_factor: 0.2
              max_rows_per_pass: 16
              mask: network
              head_rank: 8
              head_lr: 0.01
              audit_every: 5
              head_rows: 12
              metrics_when_off: false
            optimizer:
              lr: 1.0e-6
              beta1: 0.8
              beta2: 0.98
              eps: 1.0e-6
              weight_decay: 0.01
              decay_scope: exclude_norms
              clip_norm: 0.5
              warmup_steps: 10
              schedule: cosine
              min_lr_ratio: 0.0
              max_skipped_steps: 0
            lora: {rank: 8, alpha: 32, dropout: 0.05, target_modules: [v_proj, q_proj]}
            weight_storage: BF16
            checkpoint: {every: 0, keep_last: 1}
            eval: {every: 5, size: 100, max_new_tokens: 64, samples: 2, faithfulness: false, policy_samples: 3}
            spark: {master: "spark://host:7077", task_max_failures: 2}
            faults: {fail_task_step: 3, fail_task_partition: 1, nan_gradient_step: 5, nan_gradient_count: 2}
            """;

    @TempDir
    Path tmp;

    private TrainConfig roundTrip(TrainConfig c) {
        String yaml = c.toYaml();
        TrainConfig back = ConfigFiles.load(new ConfigFiles(tmp).write("resolved.yaml", yaml));
        assertEquals(c, back, yaml);
        return back;
    }

    @Test
    void defaultsRoundTrip() {
        roundTrip(ConfigFiles.demoDefaults());
    }

    @Test
    void aBarrierConfigRoundTrips() {
        TrainConfig c = ConfigFiles.load(new ConfigFiles(tmp).write("barrier.yaml",
                "model: m\noutput: o\nmode: barrier\neval: {size: 0, samples: 0}\n"));
        assertEquals(TrainingMode.BARRIER, roundTrip(c).mode());
    }

    @Test
    void aConfigWithEveryKeyChangedRoundTrips() {
        TrainConfig c = ConfigFiles.load(new ConfigFiles(tmp).write("all.yaml", EVERY_KEY_CHANGED));
        TrainConfig defaults = TrainConfig.defaults();
        List<String> unchanged = new ArrayList<>();
        for (TrainConfigSchema.Key k : TrainConfigSchema.KEYS) {
            if (Objects.equals(k.get().apply(c), k.get().apply(defaults))) unchanged.add(k.name());
        }
        // barrier mode refuses the fixture's LoRA, bf16, mask network and faults: aBarrierConfigRoundTrips changes it
        unchanged.remove("mode");
        assertEquals(List.of(), unchanged, "the fixture must change every key, or the round trip misses one");
        assertEquals(new ArithmeticDifficulty(1, 3, 0, 99, "+-*"), c.data().difficulty());
        assertEquals(256, c.grpo().maxCompletionLength(), "GRPO's budget is sampling.max_new_tokens");
        assertEquals("Answer: think step by step.\nThen write #### and the number.", c.data().systemPrompt());
        assertEquals(List.of("/data/mmlu/mmlu_val.jsonl", "hdfs://nn:8020/tables/mmlu train/dt=2026-12-*"),
                DataSource.entries(c.data().trainPath()));
        roundTrip(c);
    }

    /** data.train, data.test, data.dev: a path or a list of paths (issue 20.1), in YAML, JSON and --set alike. */
    @Test
    void aDataSourceIsAPathOrAListOfThemAndAListIsWrittenBackAsAList() {
        TrainConfig c = ConfigFiles.load(null, "model=m", "output=o", "data.task=gsm8k",
                "data.train=[a.jsonl, \"b dir/dt=*\"]", "data.test=t/");
        assertEquals(List.of("a.jsonl", "b dir/dt=*"), DataSource.entries(c.data().trainPath()));
        assertEquals("t/", c.data().testPath());
        assertTrue(c.toYaml().contains("\n  train: [a.jsonl, \"b dir/dt=*\"]"), c.toYaml());
        assertEquals(c, roundTrip(c));
        TrainConfig json = ConfigFiles.load(new ConfigFiles(tmp).write("c.json", "{\"model\": \"m\", \"output\": \"o\","
                + " \"data\": {\"task\": \"gsm8k\", \"train\": [\"a.jsonl\", \"b dir/dt=*\"], \"test\": \"t/\"}}"));
        assertEquals(c.data(), json.data());
        for (String bad : List.of("[]", "[a.jsonl, 3]", "[a.jsonl, \" \"]")) {
            ConfigException e = assertThrows(ConfigException.class, () -> c.with("data.train", bad));
            assertTrue(e.getMessage().startsWith("--set data.train=" + bad + ": data.train: expected a"), e.getMessage());
        }
    }

    @Test
    void textThatLooksLikeAnotherTypeStaysText() {
        TrainConfig c = ConfigFiles.demoDefaults().with("model", "\"1e3\"").with("output", "'yes'")
                .with("data.system_prompt", "\"null\"").with("spark.master", "local[4]");
        assertEquals("1e3", c.model());
        assertEquals("yes", c.output());
        assertEquals("null", c.data().systemPrompt());
        assertEquals("local[4]", c.spark().master());
        roundTrip(c);
        roundTrip(c.with("data.difficulty", "harder").with("model", "0x10").with("data.system_prompt", "\"  two\\tspaces \""));
    }

    @Test
    void theYamlIsReadableSectionsInFileOrder() {
        String yaml = ConfigFiles.demoDefaults().toYaml();
        List<String> lines = yaml.lines().map(l -> l.replaceAll("(^|\\s+)#.*", "")).filter(l -> !l.isBlank()).toList();
        assertEquals(List.of("model: runs/sft", "output: runs/grpo", "seed: 0"), lines.subList(0, 3), yaml);
        for (String line : List.of("grpo:", "  group_size: 8", "  scale: group", "  advantage_epsilon: 1.0e-4",
                "  loss_aggregation: token", "  difficulty: default")) {
            assertTrue(lines.contains(line), line + " in " + yaml);
        }
        List<String> sections = lines.stream().filter(l -> l.matches("[a-z_]+:")).toList();
        assertEquals(List.of("data:", "sampling:", "grpo:", "saliency:", "optimizer:", "lora:", "checkpoint:", "eval:", "spark:",
                "faults:"), sections);
        assertTrue(yaml.contains("\n  beta: 0.0                 # k3 KL coefficient to the starting model; 0 = no reference"
                + " model (TRL since 0.16); >= 0\n"), "each key's doc and range as its comment: " + yaml);
    }

    @Test
    void jsonAndYamlGiveTheSameConfig() throws Exception {
        ConfigFiles files = new ConfigFiles(tmp);
        String json = new ObjectMapper().writeValueAsString(ConfigFormat.YAML.parse(EVERY_KEY_CHANGED));
        TrainConfig fromYaml = ConfigFiles.load(files.write("c.yaml", EVERY_KEY_CHANGED));
        assertEquals(fromYaml, ConfigFiles.load(files.write("c.json", json)));
        String small = files.write("small.json", """
                {"model": "runs/sft", "output": "runs/grpo", "steps": 5,
                 "grpo": {"beta": 0.04, "loss_aggregation": "SEQUENCE"}, "data": {"difficulty": "harder"}}
                """);
        TrainConfig expected = ConfigFiles.demoDefaults().with("steps", "5").with("grpo.beta", "0.04")
                .with("grpo.loss_aggregation", "sequence").with("data.difficulty", "harder");
        assertEquals(expected, ConfigFiles.load(small));
        assertEquals(expected, ConfigFiles.load(files.write("small.yml", expected.toYaml())));
        assertNotEquals(ConfigFiles.demoDefaults(), expected);
    }
}
