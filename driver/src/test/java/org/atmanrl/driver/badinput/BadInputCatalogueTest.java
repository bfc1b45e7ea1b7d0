package org.atmanrl.driver.badinput;

import static org.atmanrl.driver.badinput.Catalogue.args;
import static org.atmanrl.driver.badinput.Catalogue.row;
import static org.atmanrl.driver.badinput.CaseDir.GSM8K;
import static org.atmanrl.driver.badinput.CaseDir.LONG_QUESTION;
import static org.atmanrl.driver.badinput.CaseDir.MMLU;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.atmanrl.driver.badinput.Catalogue.Command;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.reward.data.ParquetTables;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 6 item 6: bad input of every kind, through the command line. One row per case: what it
 * is, the command it runs (with the inputs it writes first), the exit code (1 for bad input, 2 for
 * a usage error) and fragments of the message. Every case must print exactly one line on stderr,
 * naming the input and the fault, and leave its directory byte for byte as it was: no partial
 * output, no previous run overwritten. The train cases all fail before Spark starts.
 */
class BadInputCatalogueTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void tinyModel() throws Exception {
        model = Catalogue.model();
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            // config files
            row("config: unknown key", c -> train(c.config("grpo: {group_sise: 4}")),
                    1, "run.yaml", "unknown key 'grpo.group_sise'", "group_size"),
            row("config: wrong type", c -> train(c.config("seed: seven")),
                    1, "run.yaml", "seed", "expected an integer", "\"seven\""),
            row("config: out-of-range value", c -> train(c.config("saliency: {epsilon: 1.5}")),
                    1, "run.yaml", "saliency.epsilon", "1.5"),
            row("config: missing required model path", c -> train(c.file("run.yaml", "output: " + c.run())),
                    1, "run.yaml", "model is required"),
            row("config: missing required output path", c -> train(c.file("run.yaml", "model: " + model)),
                    1, "run.yaml", "output is required"),
            row("config: gsm8k without data.train", c -> train(c.config("data: {task: gsm8k, test: t.jsonl}")),
                    1, "run.yaml", "data.train"),
            row("config: malformed YAML", c -> train(c.file("run.yaml", "steps: [1")),
                    1, "run.yaml", "line"),
            row("config: missing file", c -> train(c.path("absent.yaml")),
                    1, "absent.yaml"),
            row("config: bad --set value", c -> args("train", "--config", c.config(), "--set", "optimizer.max_skipped_steps=-1"),
                    1, "--set optimizer.max_skipped_steps=-1", "in [0, 99999999]"),
            // training data
            row("train data: invalid JSON line", c -> train(c.dataConfig("gsm8k", c.gsm8k("train.jsonl", "{\"question\": ", false),
                    c.file("test.jsonl", GSM8K))), 1, "train.jsonl:2", "invalid JSON"),
            row("train data: missing field", c -> train(c.dataConfig("gsm8k", c.file("train.jsonl", "{\"question\": \"2+2?\"}"),
                    c.file("test.jsonl", GSM8K))), 1, "train.jsonl:1", "field \"answer\"", "missing"),
            row("train data: empty question", c -> train(c.dataConfig("gsm8k", c.file("train.jsonl",
                    "{\"question\": \" \", \"answer\": \"#### 4\"}"), c.file("test.jsonl", GSM8K))),
                    1, "train.jsonl:1", "field \"question\"", "empty"),
            row("train data: non-UTF-8 bytes", c -> train(c.dataConfig("gsm8k", c.gsm8k("train.jsonl",
                    "{\"question\": \"caf\u00e9?\", \"answer\": \"#### 4\"}", true), c.file("test.jsonl", GSM8K))),
                    1, "train.jsonl:2", "not valid UTF-8"),
            row("train data: prompt longer than the context", c -> train(c.dataConfig("gsm8k", c.file("train.jsonl",
                    "{\"question\": \"" + LONG_QUESTION + "\", \"answer\": \"#### 151\"}"), c.file("test.jsonl", GSM8K))),
                    1, "data.train", "train.jsonl line 1", "max_position_embeddings 256", "sampling.max_new_tokens"),
            row("train data: empty file", c -> train(c.dataConfig("gsm8k", c.file("train.jsonl"), c.file("test.jsonl", GSM8K))),
                    1, "data.train", "train.jsonl", "no usable rows"),
            row("train data: missing file", c -> train(c.dataConfig("gsm8k", c.path("absent.jsonl"),
                    c.file("test.jsonl", GSM8K))), 1, "data.train", "absent.jsonl: file not found"),
            row("train data: mmlu answer out of range", c -> train(c.dataConfig("mmlu", c.file("train.jsonl",
                    MMLU.replace("\"B\"", "\"E\"")), c.file("test.jsonl", MMLU))), 1, "train.jsonl:1", "field \"answer\"", "\"E\""),
            row("train data: mmlu three choices", c -> train(c.dataConfig("mmlu", c.file("train.jsonl",
                    MMLU.replace(", \"7\"", "")), c.file("test.jsonl", MMLU))), 1, "train.jsonl:1", "field \"choices\""),
            row("train data: test prompt longer than the context", c -> train(c.dataConfig("mmlu", c.file("train.jsonl", MMLU),
                    c.file("test.jsonl", MMLU.replace("What is 2+3?", LONG_QUESTION)))),
                    1, "data.test", "test.jsonl line 1", "eval.max_new_tokens"),
            row("train data: empty test file", c -> train(c.dataConfig("mmlu", c.file("train.jsonl", MMLU), c.file("test.jsonl"))),
                    1, "data.test", "test.jsonl", "no usable rows"),
            row("train data: a bad Parquet row in a partitioned directory", c -> {
                ParquetTables.gsm8k(c.dir().resolve("t/dt=2026-12-01/part-0.parquet"), new String[] {"2+3?", "#### 5"},
                        new String[] {"2+2?", "4"});
                return train(c.dataConfig("gsm8k", c.path("t"), c.file("test.jsonl", GSM8K)));
            }, 1, "t/dt=2026-12-01/part-0.parquet:2", "field \"answer\"", "no \"####\""),
            row("train data: a directory without a data file", c -> {
                Files.createDirectories(c.dir().resolve("t"));
                c.file("t/_SUCCESS");
                return train(c.dataConfig("gsm8k", c.path("t"), c.file("test.jsonl", GSM8K)));
            }, 1, "data.train", "/t: no .jsonl, .json or .parquet file matches"),
            // evaluation data
            row("eval data: invalid JSON line", c -> eval(c, "gsm8k", c.gsm8k("test.jsonl", "not json", false)),
                    1, "test.jsonl:2", "invalid JSON"),
            row("eval data: missing field", c -> eval(c, "mmlu", c.file("test.jsonl", MMLU.replace("\"subject\": \"math\", ", ""))),
                    1, "test.jsonl:1", "field \"subject\"", "missing"),
            row("eval data: empty question", c -> eval(c, "gsm8k", c.file("test.jsonl",
                    "{\"question\": \"\", \"answer\": \"#### 4\"}")), 1, "test.jsonl:1", "field \"question\"", "empty"),
            row("eval data: non-UTF-8 bytes", c -> eval(c, "gsm8k", c.gsm8k("test.jsonl",
                    "{\"question\": \"\u00ff\", \"answer\": \"#### 4\"}", true)), 1, "test.jsonl:2", "not valid UTF-8"),
            row("eval data: prompt longer than the context", c -> eval(c, "gsm8k", c.file("test.jsonl",
                    "{\"question\": \"" + LONG_QUESTION + "\", \"answer\": \"#### 151\"}")),
                    1, "--test", "test.jsonl: problem gsm8k/test/1", "max_position_embeddings 256"),
            row("eval data: empty file", c -> eval(c, "mmlu", c.file("test.jsonl")),
                    1, "test.jsonl", "no usable rows"),
            row("eval data: missing file", c -> eval(c, "gsm8k", c.path("absent.jsonl")),
                    1, "--test", "absent.jsonl: file not found"),
            row("eval data: a glob that matches nothing", c -> eval(c, "gsm8k", c.path("dt=*")),
                    1, "--test", "dt=*: no .jsonl, .json or .parquet file matches"),
            // model directories
            row("model: missing config.json", c -> train(c.config("model: " + deleted(c.modelCopy(), "config.json"))),
                    1, "model/config.json"),
            row("model: truncated safetensors", c -> train(c.config("model: " + c.truncatedWeights())),
                    1, "model.safetensors", "truncated"),
            row("model: shapes unlike config.json", c -> train(c.config("model: " + c.wrongShapes())),
                    1, "model.safetensors", "has shape", "config.json implies"),
            row("model: missing tokenizer.json", c -> train(c.config("model: " + deleted(c.modelCopy(), "tokenizer.json"))),
                    1, "has no tokenizer.json"),
            row("model: config.json not JSON", c -> train(c.config("model: " + overwritten(c.modelCopy(), "config.json", "{"))),
                    1, "config.json"),
            row("eval model: truncated safetensors", c -> args("eval", "--model", c.truncatedWeights().toString(), "--size", "1"),
                    1, "model.safetensors", "truncated"),
            row("eval model: missing directory", c -> args("eval", "--model", c.path("absent"), "--size", "1"),
                    1, "absent/config.json"),
            // output paths
            row("output: under a regular file", c -> train(c.config("output: " + c.file("file.txt", "x") + "/run")),
                    1, "file.txt is a file, not a directory"),
            row("output: in a read-only directory", c -> train(c.config("output: " + readOnly(c.dir().resolve("ro")) + "/run")),
                    1, "is not writable", "ro"),
            row("output: a regular file", c -> train(c.config("output: " + c.file("file.txt", "x"))),
                    1, "file.txt is a file, not a run directory"),
            row("output: holds another run", c -> train(c.config("output: " + c.previousRun())),
                    1, "already holds a run", "--resume"),
            row("output: a directory with other files", c -> train(c.config("output: " + new java.io.File(c.file("notes.txt",
                    "x")).getParent())), 1, "is not empty and holds no run"),
            row("eval output: --json exists", c -> args("eval", "--model", model.toString(), "--size", "1", "--json",
                    c.file("report.json", "{}")), 1, "report.json already exists; not overwritten"),
            row("eval output: --json under a regular file", c -> args("eval", "--model", model.toString(), "--size", "1",
                    "--json", c.file("file.txt", "x") + "/report.json"), 1, "file.txt is a file, not a directory"),
            row("init-model output: exists", c -> args("init-model", "--out", c.modelCopy().toString()),
                    1, "model", "exists"),
            // resume/checkpoint damage (issue 18 point 1): refused before Spark starts, never started over
            row("resume: the only checkpoint's hash is wrong", c -> resume(c, () -> flipLastByte(
                    c.checkpoint().resolve("optimizer.safetensors"))),
                    1, "cannot resume", "step-00000001/optimizer.safetensors", "SHA-256"),
            row("resume: optimizer moments shaped unlike the model", c -> resume(c, () -> c.optimizerInCheckpoint(
                    moments(c, true, false))), 1, "cannot resume", "optimizer.safetensors", "has shape"),
            row("resume: optimizer without a weight's moments", c -> resume(c, () -> c.optimizerInCheckpoint(
                    moments(c, false, true))), 1, "cannot resume", "optimizer.safetensors", "no moments"),
            row("resume: run_state.json cut mid-line", c -> resume(c, () -> c.replaceInCheckpoint("run_state.json",
                    "{\"step\": 1, \"se".getBytes(StandardCharsets.UTF_8))),
                    1, "cannot resume", "step-00000001/run_state.json", "line 1"),
            row("resume: metrics.jsonl cut mid-line", c -> resume(c, () -> Files.writeString(c.dir().resolve(
                    "run/metrics.jsonl"), "{\"step\":1,\"reward\":0.5}\n{\"step\":2,\"rew")),
                    1, "metrics.jsonl:2", "not JSON"),
            row("resume: summary.json damaged", c -> resume(c, () -> Files.writeString(c.dir().resolve(
                    "run/summary.json"), "{\"steps\": 1,\n")), 1, "summary.json", "line 2"),
            row("resume: no checkpoint but metrics to lose", c -> resume(c, () -> deleteTree(c.dir().resolve(
                    "run/checkpoints"))), 1, "cannot resume", "no checkpoint", "metrics.jsonl"),
            row("cli: negative --stop-after", c -> args("train", "--config", c.config(), "--stop-after", "-3"),
                    2, "--stop-after", "-3"),
            // outputs that alias inputs
            row("report output: --out is the run's metrics.jsonl", c -> report(c, "metrics.jsonl"),
                    1, "--out", "metrics.jsonl", "reads"),
            row("report output: --out is the run's config.yaml", c -> report(c, "config.yaml"),
                    1, "--out", "config.yaml", "reads"),
            row("report output: --out is the run's summary.json", c -> report(c, "summary.json"),
                    1, "--out", "summary.json", "reads"),
            // command-line arguments
            row("cli: unknown option", c -> args("train", "--confg", "x.yaml"),
                    2, "unknown option '--confg'", "--config"),
            row("cli: missing option value", c -> args("train", "--config"),
                    2, "--config"),
            row("cli: bad number", c -> args("train", "--config", c.config(), "--stop-after", "two"),
                    2, "--stop-after", "two"),
            row("cli: bad number for eval", c -> args("eval", "--model", model.toString(), "--size", "1e3"),
                    2, "--size", "1e3"),
            row("cli: unknown command", c -> args("trian"),
                    2, "unknown command 'trian'"),
            row("cli: --set without a value", c -> args("train", "--config", c.config(), "--set", "steps"),
                    1, "--set steps", "key=value"),
            row("cli: eval without --model", c -> args("eval", "--size", "1"),
                    2, "--model"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void exitsWithOneLineNamingTheFaultAndWritesNothing(String name, Catalogue.Stdin stdin, Command command,
            int exitCode, List<String> fragments) throws Exception {
        Catalogue.check(tmp, name, stdin, command, exitCode, fragments);
    }

    static String[] train(String config) {
        return args("train", "--config", config);
    }

    static String[] eval(CaseDir c, String task, String test) {
        return args("eval", "--model", c.model().toString(), "--data", task, "--test", test, "--max-new-tokens", "8",
                "--no-saliency");
    }

    /** What a case does to a resumable run before {@code train --resume}. */
    interface Damage {
        void apply() throws Exception;
    }

    static String[] resume(CaseDir c, Damage damage) throws Exception {
        String config = c.config();
        c.resumableRun(config);
        damage.apply();
        return args("train", "--config", config, "--resume");
    }

    static String[] report(CaseDir c, String input) throws Exception {
        String run = c.previousRun();
        return args("report", run, "--out", Path.of(run, input).toString());
    }

    /**
     * The model's moment tensors, with the first weight's shape transposed ({@code wrongShape}) or
     * the last weight's pair left out ({@code dropLast}).
     */
    private static Map<String, long[]> moments(CaseDir c, boolean wrongShape, boolean dropLast) throws Exception {
        org.apache.hadoop.fs.Path m = new org.apache.hadoop.fs.Path(model.toUri());
        var config = org.atmanrl.model.io.ModelDirectory.readConfig(HadoopFiles.fileSystem(m, new Configuration()), m);
        List<Map.Entry<String, long[]>> weights = List.copyOf(org.atmanrl.model.LlamaWeights.shapes(config.model())
                .entrySet());
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
        for (int i = 0; i < weights.size() - (dropLast ? 1 : 0); i++) {
            long[] shape = weights.get(i).getValue().clone();
            if (wrongShape && i == 0) shape = new long[] {shape[shape.length - 1], 1 + shape[0]};
            shapes.put("exp_avg." + weights.get(i).getKey(), shape);
            shapes.put("exp_avg_sq." + weights.get(i).getKey(), shape);
        }
        return shapes;
    }

    private static void flipLastByte(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);
    }

    private static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static Path deleted(Path dir, String file) throws Exception {
        Files.delete(dir.resolve(file));
        return dir;
    }

    private static Path overwritten(Path dir, String file, String text) throws Exception {
        Files.writeString(dir.resolve(file), text);
        return dir;
    }

    private static Path readOnly(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        return dir;
    }
}
