package org.atmanrl.driver.badinput;

import static org.atmanrl.driver.badinput.BadInputCatalogueTest.eval;
import static org.atmanrl.driver.badinput.BadInputCatalogueTest.resume;
import static org.atmanrl.driver.badinput.BadInputCatalogueTest.train;
import static org.atmanrl.driver.badinput.Catalogue.args;
import static org.atmanrl.driver.badinput.Catalogue.row;
import static org.atmanrl.driver.badinput.CaseDir.GSM8K;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.atmanrl.driver.badinput.Catalogue.Command;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 18's catalogue, by category: inputs that never end or are not files, numbers whose
 * products would wrap, sweep grids, messages that would span lines or run long, outputs that
 * would replace an input, damaged resume state. Each row runs through the command line with
 * {@link Catalogue#check}: its exit code, one line on stderr naming the input and the fault, no
 * stack trace, and the case's directory byte for byte as it was. (Resume damage and {@code report
 * --out} of the run's own files are rows of {@link BadInputCatalogueTest}; secrets are
 * DeployScriptsTest's.)
 */
class HardenedInputCatalogueTest {
    @TempDir
    static Path tmp;

    /** Devices, FIFOs, directories where a file is expected, endless lines, non-UTF-8 stdin (issue 18 point 2). */
    static Stream<Arguments> unboundedAndSpecialInputs() {
        return Stream.of(
            row("config: a link to /dev/zero", c -> train(c.link("run.yaml", "/dev/zero")),
                    1, "run.yaml", "character device", "a file expected"),
            row("config: a FIFO", c -> train(c.fifo("run.yaml")),
                    1, "run.yaml", "FIFO"),
            row("config: a directory", c -> train(Files.createDirectories(c.dir().resolve("run.yaml")).toString()),
                    1, "run.yaml", "directory"),
            row("config: larger than a config can be", c -> train(c.file("run.yaml", "# " + "x".repeat(1 << 20))),
                    1, "run.yaml", "at most 1048576"),
            row("grid: a link to /dev/zero", c -> sweep(c.link("grid.yaml", "/dev/zero")),
                    1, "grid.yaml", "character device"),
            row("grid: a FIFO", c -> sweep(c.fifo("grid.yaml")),
                    1, "grid.yaml", "FIFO"),
            row("grid: base config a link to /dev/zero", c -> sweep(grid(c, c.link("base.yaml", "/dev/zero"),
                    "grid: {seed: [1, 2]}")), 1, "base.yaml", "character device"),
            row("model: config.json a link to /dev/zero", c -> train(c.config("model: " + linked(c.modelCopy(),
                    "config.json", "/dev/zero"))), 1, "model/config.json", "character device"),
            row("model: tokenizer.json a link to /dev/zero", c -> args("tokenize", "--model",
                    linked(c.modelCopy(), "tokenizer.json", "/dev/zero").toString()),
                    1, "tokenizer.json", "character device"),
            row("model: model.safetensors a link to /dev/zero", c -> args("eval", "--model",
                    linked(c.modelCopy(), "model.safetensors", "/dev/zero").toString(), "--size", "1"),
                    1, "model.safetensors", "character device"),
            row("model: model.safetensors a FIFO", c -> {
                Path m = c.modelCopy();
                Files.delete(m.resolve("model.safetensors"));
                c.fifo("model/model.safetensors");
                return args("eval", "--model", m.toString(), "--size", "1");
            }, 1, "model.safetensors", "FIFO"),
            row("train data: a link to /dev/zero", c -> train(c.dataConfig("gsm8k", c.link("train.jsonl", "/dev/zero"),
                    c.file("test.jsonl", GSM8K))), 1, "train.jsonl", "character device"),
            row("eval data: a FIFO", c -> eval(c, "gsm8k", c.fifo("test.jsonl")),
                    1, "test.jsonl", "FIFO"),
            row("eval data: a directory", c -> eval(c, "gsm8k", Files.createDirectories(c.dir().resolve("test.jsonl"))
                    .toString()), 1, "test.jsonl", "directory"),
            row("train data: a line longer than any row", c -> train(c.dataConfig("gsm8k", c.file("train.jsonl",
                    "{\"question\": \"" + "1+".repeat(1 << 19) + "1\", \"answer\": \"#### 1\"}"),
                    c.file("test.jsonl", GSM8K))), 1, "train.jsonl", "line 1", "at most 1048576"),
            row("tokenize: an endless stdin line", HardenedInputCatalogueTest::endless,
                    c -> args("tokenize", "--model", c.model().toString()), 1, "stdin", "line 1", "at most 16777216"),
            row("tokenize: stdin not UTF-8", () -> latin1("{\"text\": \"caf\u00e9\"}\n"),
                    c -> args("tokenize", "--model", c.model().toString()), 1, "stdin line 1", "not valid UTF-8"),
            row("score: stdin not UTF-8 in a passed-through field", () -> latin1("{\"ids\": [1, 2]}\n{\"ids\": [1, 2],"
                    + " \"id\": \"\u00ff\"}\n"), c -> args("score", "--model", c.model().toString()),
                    1, "stdin line 2", "not valid UTF-8"));
    }

    /** Sizes and budgets whose products would wrap (issue 18 point 3); train's config as --print-config checks it. */
    static Stream<Arguments> overflow() {
        return Stream.of(
            row("config: max_new_tokens near 2^31", c -> printConfig(c, "sampling: {max_new_tokens: 2147483640}"),
                    1, "sampling.max_new_tokens", "[1, 131072]", "2147483640"),
            row("config: eval.max_new_tokens 2^31 - 1", c -> printConfig(c, "eval: {size: 1, max_new_tokens: 2147483647}"),
                    1, "eval.max_new_tokens", "[1, 131072]"),
            row("config: group size 2e9", c -> printConfig(c, "grpo: {group_size: 2000000000}"),
                    1, "grpo.group_size", "[1, 4096]", "2000000000"),
            row("config: B x G past the rollouts a step holds", c -> printConfig(c, "prompts_per_step: 65536",
                    "grpo: {group_size: 4096}"), 1, "prompts_per_step x grpo.group_size", "268435456", "1048576"),
            row("config: B x G x length past 2^31 tokens", c -> printConfig(c, "prompts_per_step: 1024",
                    "grpo: {group_size: 1024}", "sampling: {max_new_tokens: 131072}"),
                    1, "completion tokens per step", "137438953472"),
            row("config: steps 2^31 - 1", c -> printConfig(c, "steps: 2147483647"),
                    1, "steps", "[1, 99999999]"),
            row("config: nan_gradient_step whose sum with the count wraps", c -> printConfig(c,
                    "faults: {nan_gradient_step: 9223372036854775807}"), 1, "faults.nan_gradient_step", "99999999"),
            row("config: warmup_steps 9e18", c -> printConfig(c, "optimizer: {warmup_steps: 9000000000000000000}"),
                    1, "optimizer.warmup_steps", "99999999"),
            row("config: test_size 2^31 - 1", c -> printConfig(c, "data: {test_size: 2147483647}"),
                    1, "data.test_size", "[1, 1048576]"),
            row("config: keep_last 2^31 - 1", c -> printConfig(c, "checkpoint: {keep_last: 2147483647}"),
                    1, "checkpoint.keep_last", "[1, 10000]"),
            row("config: top_k 2^31 - 1", c -> printConfig(c, "sampling: {top_k: 2147483647}"),
                    1, "sampling.top_k", "[0, 1048576]"),
            row("config: mask-fit steps 2^31 - 1", c -> printConfig(c, "saliency: {steps: 2147483647}"),
                    1, "saliency.steps", "[0, 10000]"),
            row("config: head_rows 2^31 - 1", c -> printConfig(c, "saliency: {head_rows: 2147483647}"),
                    1, "saliency.head_rows", "[0, 1048576]"),
            row("config: --set grpo.mu=2e9", c -> args("train", "--config", c.config(), "--set", "grpo.mu=2000000000",
                    "--print-config"), 1, "--set grpo.mu=2000000000", "[1, 1024]"),
            row("eval: --max-new-tokens near 2^31", c -> args("eval", "--model", c.model().toString(), "--size", "1",
                    "--max-new-tokens", "2147483640"), 2, "max_new_tokens", "[1, 131072]", "2147483640"),
            row("eval: --size 2e9", c -> args("eval", "--model", c.model().toString(), "--size", "2000000000"),
                    2, "--size", "[1, 1048576]", "2000000000"),
            row("eval: --policy-samples 2e9", c -> args("eval", "--model", c.model().toString(), "--size", "1",
                    "--policy-samples", "2000000000"), 2, "--policy-samples 2000000000", "[0, 64]"),
            row("grpo: --group 2e9", c -> args("grpo", "--model", c.model().toString(), "--out", c.path("out"),
                    "--group", "2000000000"), 2, "groupSize", "[1, 4096]", "2000000000"),
            row("grpo: --prompts x --group past the rollouts a step holds", c -> args("grpo", "--model",
                    c.model().toString(), "--out", c.path("out"), "--prompts", "65536", "--group", "4096"),
                    2, "--prompts x --group", "268435456", "1048576"),
            row("grpo: --eval-size 2e9", c -> args("grpo", "--model", c.model().toString(), "--out", c.path("out"),
                    "--eval-size", "2000000000"), 2, "--eval-size", "[1, 1048576]"),
            row("sft: --batch 2e9", c -> args("sft", "--out", c.path("out"), "--batch", "2000000000"),
                    2, "batch size", "[1, 65536]", "2000000000"),
            row("sft: --eval-size 2e9", c -> args("sft", "--out", c.path("out"), "--eval-size", "2000000000"),
                    2, "eval size", "[1, 1048576]"));
    }

    /** Grids that are too large, whose size would wrap, or whose points cannot be named (issue 18 point 3). */
    static Stream<Arguments> sweepGrids() {
        return Stream.of(
            row("sweep: 64 keys of 2 values, 2^64 points", c -> sweep(grid(c, c.config(), "grid: {"
                    + IntStream.range(0, 64).mapToObj(i -> "k" + i + ": [0, 1]").collect(Collectors.joining(", ")) + "}")),
                    1, "grid.yaml", "2 x 2 x 2", "more than the 10000"),
            row("sweep: 10001 points", c -> sweep(grid(c, c.config(), "grid: {seed: [" + IntStream.range(0, 10_001)
                    .mapToObj(Integer::toString).collect(Collectors.joining(", ")) + "]}")),
                    1, "grid.yaml", "10001 points", "10000"),
            row("sweep: a point name past 255 bytes", c -> sweep(grid(c, c.config(), "grid: {data.system_prompt: [\""
                    + "x".repeat(300) + "\"]}")), 1, "grid.yaml", "point name", "255"),
            row("sweep: labels that make a name past 255 bytes", c -> sweep(grid(c, c.config(),
                    "grid: {seed: [1], data.data_seed: [2]}", "labels: {seed: " + "s".repeat(130) + ", data.data_seed: "
                            + "d".repeat(130) + "}")), 1, "grid.yaml", "point name", "a file name holds at most 255"),
            row("sweep: grid file is the sweep's own record", c -> {
                Path out = Files.createDirectories(c.dir().resolve("sweep"));
                Path g = out.resolve("sweep.yaml");
                Files.writeString(g, "base: " + c.config() + "\noutput: " + out + "\ngrid: {seed: [1, 2]}\n");
                return sweep(g.toString());
            }, 1, "sweep.yaml", "which this sweep reads"),
            row("sweep: base config is the sweep's results.json", c -> {
                Path out = Files.createDirectories(c.dir().resolve("sweep"));
                Files.writeString(out.resolve("results.json"), "{\"model\": \"" + c.model() + "\"}");
                return sweep(c.file("grid.yaml", "base: " + out.resolve("results.json"), "output: " + out,
                        "grid: {seed: [1, 2]}"));
            }, 1, "results.json", "which this sweep reads"));
    }

    /** Names and values that would break the line or fill a screen (issue 18 point 4). */
    static Stream<Arguments> multiLineAndHugeMessages() {
        return Stream.of(
            row("config: a key with a newline", c -> train(c.config("\"grpo\\nsize\": 4")),
                    1, "run.yaml", "grpo\\nsize"),
            row("config: a 900 KB number", c -> train(c.config("steps: " + "9".repeat(900_000))),
                    1, "run.yaml", "steps", "characters left out"),
            row("config: a data path with a newline", c -> train(c.dataConfig("gsm8k", "\"a\\nb.jsonl\"",
                    c.file("test.jsonl", GSM8K))), 1, "data.train", "a\\nb.jsonl", "file not found"),
            row("cli: --set with a 900 KB value", c -> args("train", "--config", c.config(), "--set",
                    "seed=" + "7".repeat(900_000)), 1, "seed", "characters left out"),
            row("tokenize: stdin JSON that ends mid-string", () -> utf8("{\"text\": \"a\nb\"}\n"),
                    c -> args("tokenize", "--model", c.model().toString()), 1, "stdin line 1", "not valid JSON"));
    }

    /** An output that would replace a file the command reads, by any name (issue 18 point 4). */
    static Stream<Arguments> outputsThatAliasInputs() {
        return Stream.of(
            row("report: --out the metrics through a linked run directory", c -> {
                String run = c.previousRun();
                return args("report", run, "--out", c.link("alias", run) + "/metrics.jsonl");
            }, 1, "--out", "metrics.jsonl", "reads"),
            row("report: --out a link to the run's config.yaml", c -> {
                String run = c.previousRun();
                return args("report", run, "--out", c.link("page.html", run + "/config.yaml"));
            }, 1, "--out", "config.yaml", "reads"),
            row("report: --out inside --model through a link", c -> {
                String run = c.previousRun();
                Path m = c.modelCopy();
                return args("report", run, "--model", m.toString(), "--out", c.link("m", m.toString()) + "/page.html");
            }, 1, "--out", "inside", "reads"),
            row("eval: --json a link to the --test file", c -> {
                String test = c.file("test.jsonl", GSM8K);
                return args("eval", "--model", c.model().toString(), "--data", "gsm8k", "--test", test, "--json",
                        c.link("report.json", test));
            }, 1, "report.json", "already exists"),
            row("eval: --json the model's config.json", c -> args("eval", "--model", c.modelCopy().toString(), "--size",
                    "1", "--json", c.path("model/config.json")), 1, "config.json", "already exists"),
            row("init-model: --out a link to a model", c -> args("init-model", "--out", c.link("new",
                    c.modelCopy().toString())), 1, "new", "exists"));
    }

    /** Resume state that is not a file or never ends (issue 18 points 1 and 2). */
    static Stream<Arguments> resumeDamage() {
        return Stream.of(
            row("resume: metrics.jsonl a link to /dev/zero", c -> resume(c, () -> {
                Path metrics = c.dir().resolve("run/metrics.jsonl");
                Files.delete(metrics);
                Files.createSymbolicLink(metrics, Path.of("/dev/zero"));
            }), 1, "metrics.jsonl", "character device"),
            row("resume: summary.json a FIFO", c -> resume(c, () -> c.fifo("run/summary.json")),
                    1, "summary.json", "FIFO"),
            row("resume: the checkpoint's manifest a FIFO", c -> resume(c, () -> {
                Files.delete(c.checkpoint().resolve("manifest.json"));
                c.fifo("run/checkpoints/step-00000001/manifest.json");
            }), 1, "cannot resume", "manifest.json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"unboundedAndSpecialInputs", "overflow", "sweepGrids", "multiLineAndHugeMessages",
        "outputsThatAliasInputs", "resumeDamage"})
    void exitsWithOneLineNamingTheFaultAndWritesNothing(String name, Catalogue.Stdin stdin, Command command,
            int exitCode, List<String> fragments) throws Exception {
        Catalogue.check(tmp, name, stdin, command, exitCode, fragments);
    }

    private static String[] sweep(String grid) {
        return args("sweep", "--grid", grid);
    }

    /** A grid file over {@code base} into {@code sweep/}, with these lines. */
    private static String grid(CaseDir c, String base, String... lines) throws Exception {
        return c.file("grid.yaml", Stream.concat(Stream.of("base: " + base, "output: " + c.path("sweep")),
                Stream.of(lines)).toArray(String[]::new));
    }

    private static String[] printConfig(CaseDir c, String... lines) throws Exception {
        return args("train", "--config", c.config(lines), "--print-config");
    }

    private static Path linked(Path dir, String file, String target) throws Exception {
        Files.delete(dir.resolve(file));
        Files.createSymbolicLink(dir.resolve(file), Path.of(target));
        return dir;
    }

    private static InputStream utf8(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private static InputStream latin1(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** A stdin that never ends and holds no newline. */
    private static InputStream endless() {
        return new InputStream() {
            @Override
            public int read() {
                return 'a';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) 'a');
                return len;
            }
        };
    }
}
