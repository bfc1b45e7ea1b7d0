package org.atmanrl.driver.inspect;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.UserPaths;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code atmanrl merge}: a PEFT adapter directory and its base written as one plain HF model directory. */
@Command(name = "merge",
        sortOptions = false,
        description = {
            "Merges LoRA adapters into their base and writes a plain HF model directory.",
            "",
            "--adapter is a PEFT adapter directory (adapter_config.json,",
            "adapter_model.safetensors), such as the model/ directory a run with",
            "lora.rank > 0 leaves. Each targeted projection becomes W + (alpha / r) B A",
            "(docs/design.md 3.4). The output gets the base's config.json and tokenizer",
            "files and the merged weights (F32), written whole or not at all.",
            ""})
public final class MergeCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The PEFT adapter directory.")
    private String adapter;

    @Option(names = "--base", paramLabel = "DIR",
            description = "The base model directory (default: adapter_config.json's base_model_name_or_path).")
    private String base;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Create the directory DIR, a local path or Hadoop URI that must not exist and is no input.")
    private String out;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Override
    public Integer call() throws Exception {
        Configuration conf = new Configuration();
        Path adapterDir = new Path(adapter);
        FileSystem adapterFs = HadoopFiles.fileSystem(adapterDir, conf);
        if (!AdapterModels.isAdapterDirectory(adapterFs, adapterDir)) {
            throw new UserInputException("--adapter " + adapter + " is not a PEFT adapter directory (no "
                    + org.atmanrl.model.io.AdapterDirectory.CONFIG + ")");
        }
        AdapterModels.Source source = AdapterModels.source(conf, adapterDir, base);
        Path target = new Path(out);
        FileSystem outFs = HadoopFiles.fileSystem(target, conf);
        Path canonical = UserPaths.canonical(outFs, target);
        requireNotWithin(canonical, UserPaths.canonical(source.fs(), source.dir()), "--adapter");
        requireNotWithin(canonical, UserPaths.canonical(source.baseFs(), source.base()), "--base");
        if (outFs.exists(target)) {
            throw new UserInputException("--out " + out + " already exists; merge writes a new directory");
        }
        UserPaths.requireCreatable(outFs, target, "--out");
        try (ModelDirectory.Loaded merged = AdapterModels.load(source, org.nd4j.linalg.api.buffer.DataType.FLOAT)) {
            ModelDirectory.save(outFs, target, merged.config(), merged.weights(), SaveOptions.of(SafetensorsDType.F32),
                    ModelDirectory.companionFiles(source.baseFs(), source.base()));
        }
        PrintWriter w = spec.commandLine().getOut();
        w.println("wrote " + outFs.makeQualified(target) + ": " + source.base() + " with the adapters of " + adapterDir
                + " merged in");
        w.flush();
        return 0;
    }

    /** An output inside an input, or an input inside the output, would write over what is read. */
    private void requireNotWithin(Path target, Path input, String what) {
        if (UserPaths.isWithin(target, input) || UserPaths.isWithin(input, target)) {
            throw new UserInputException("--out " + out + " overlaps " + what + " " + input
                    + "; merge never writes over its inputs");
        }
    }
}
