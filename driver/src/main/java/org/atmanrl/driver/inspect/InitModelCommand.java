package org.atmanrl.driver.inspect;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.train.ShippedStartingModel;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.text.CharTokenizerFiles;
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
            ""})
public final class InitModelCommand implements Callable<Integer> {
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

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        Path dir = new Path(out);
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
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
}
