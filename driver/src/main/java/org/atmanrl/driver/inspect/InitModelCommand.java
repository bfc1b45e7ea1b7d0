package org.atmanrl.driver.inspect;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.train.ShippedStartingModel;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.ModelPreset;
import org.atmanrl.model.io.RandomWeightsSource;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code atmanrl init-model}: the embedded tiny model as an HF directory, freshly initialised or the demo's. */
@Command(name = "init-model",
        sortOptions = false,
        description = {
            "Writes the embedded tiny model, randomly initialised, as an HF directory.",
            "",
            "The directory gets config.json, model.safetensors (F32), tokenizer.json and",
            "tokenizer_config.json for its character vocabulary. It needs no download",
            "and gives a model to try 'tokenize' and 'score' on.",
            "",
            "With --shipped it writes the demo's starting model instead: the same tiny",
            "model after SFT on the hinted arithmetic task (docs/design.md 2.5), which",
            "answers it; the scheduled-retraining example starts from it.",
            "",
            "With --preset llama-3.2-1b or llama-3.2-3b it writes random weights in the",
            "exact shape of Meta's Llama-3.2-1B/3B-Instruct (config.json and",
            "generation_config.json as they ship, BF16 safetensors, sharded above 5 GB),",
            "streamed to disk one chunk at a time, so writing needs little memory;",
            "--tokenizer gives it the Llama 3 tokenizer.json (docs/models.md, Presets).",
            ""})
public final class InitModelCommand implements Callable<Integer> {
    /** Llama 3's tokenizer.json is 9 MB. */
    private static final long TOKENIZER_LIMIT = 64L << 20;

    @Spec
    private CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Create the directory DIR, a local path or Hadoop URI that must not exist.")
    private String out;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seed the initialisation with N (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--shipped", description = "Write the demo's starting model (after SFT) instead of a random one.")
    private boolean shipped;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "Write random weights of a published shape instead: llama-3.2-1b or llama-3.2-3b.")
    private String preset;

    @Option(names = "--dtype", paramLabel = "bf16|f32", defaultValue = "bf16",
            description = "With --preset, store the weights as bf16 (as HF ships them) or f32 (default: ${DEFAULT-VALUE}).")
    private String dtype;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "With --preset, copy FILE in as tokenizer.json, and the tokenizer_config.json beside it if"
                    + " there is one (else one naming Llama 3's <|begin_of_text|> and <|eot_id|>).")
    private String tokenizer;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        Path dir = new Path(out);
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        if (preset != null) {
            return writePreset(fs, dir);
        }
        if (tokenizer != null || !dtype.equals("bf16")) {
            throw new UserInputException("--tokenizer and --dtype go with --preset; the embedded model has its own"
                    + " tokenizer and is stored as F32");
        }
        if (shipped) {
            ShippedStartingModel.writeTo(fs, dir);
        } else {
            EmbeddedModel.create(fs, dir, seed);
        }
        LlamaConfig c = EmbeddedModel.config();
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s%s: Llama, vocab %d (characters), hidden %d, %d layers, %d/%d heads, %,d parameters%n",
                fs.makeQualified(dir), shipped ? " (the demo's starting model)" : "", CharTokenizerFiles.vocabSize(), c.hiddenSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(),
                LlamaWeights.parameterCount(c));
        w.flush();
        return 0;
    }

    private int writePreset(FileSystem fs, Path dir) throws IOException {
        if (shipped) {
            throw new UserInputException("--shipped and --preset exclude each other");
        }
        ModelPreset p;
        SafetensorsDType storage;
        try {
            p = ModelPreset.byName(preset);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--preset: " + e.getMessage());
        }
        switch (dtype.toLowerCase(Locale.ROOT)) {
            case "bf16" -> storage = SafetensorsDType.BF16;
            case "f32" -> storage = SafetensorsDType.F32;
            default -> throw new UserInputException("--dtype is '" + dtype + "'; use bf16 or f32");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("generation_config.json", p.generationConfig());
        if (tokenizer != null) {
            files.putAll(tokenizerFiles(new Path(tokenizer)));
        }
        long started = System.nanoTime();
        ModelDirectory.save(fs, dir, p.hfConfig(), new RandomWeightsSource(p.config(), seed),
                SaveOptions.of(storage), files);
        double seconds = (System.nanoTime() - started) / 1e9;
        long bytes = fs.getContentSummary(dir).getLength();
        LlamaConfig c = p.config();
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "wrote %s: %s shape, random (seed %d), %s; vocab %d, hidden %d, %d layers, %d/%d heads,"
                        + " %,d parameters; %.2f GB in %.0f s%s%n",
                fs.makeQualified(dir), p.cliName(), seed, storage, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), LlamaWeights.parameterCount(c), bytes / 1e9, seconds,
                tokenizer == null ? "; no tokenizer (--tokenizer FILE adds one)" : "");
        w.flush();
        return 0;
    }

    /** tokenizer.json from {@code file}, and the tokenizer_config.json beside it or a minimal Llama 3 one. */
    private static Map<String, byte[]> tokenizerFiles(Path file) throws IOException {
        FileSystem fs = HadoopFiles.fileSystem(file, new Configuration());
        if (!fs.exists(file)) {
            throw new UserInputException("--tokenizer: " + file + " does not exist");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(Tokenizer.TOKENIZER_FILE, HadoopFiles.readSmall(fs, file, TOKENIZER_LIMIT));
        Path config = new Path(file.getParent(), Tokenizer.CONFIG_FILE);
        files.put(Tokenizer.CONFIG_FILE, fs.exists(config) ? HadoopFiles.readSmall(fs, config, TOKENIZER_LIMIT)
                : "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|eot_id|>\"}\n"
                        .getBytes(StandardCharsets.UTF_8));
        // the same check a command that loads the directory makes: a file that is no tokenizer fails here
        Tokenizer.fromJson(file.getParent().toString(), files.get(Tokenizer.TOKENIZER_FILE),
                files.get(Tokenizer.CONFIG_FILE)).close();
        return files;
    }
}
