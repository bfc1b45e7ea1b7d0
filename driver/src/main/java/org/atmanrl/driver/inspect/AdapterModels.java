package org.atmanrl.driver.inspect;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.AdapterDirectory;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A directory that commands read as a model: a Hugging Face model directory, or a PEFT adapter
 * directory (what a LoRA run leaves, docs/design.md 3.4) read as its base with the adapters merged
 * in ({@code W + (alpha / r) B A}). The base is the one given, else the one adapter_config.json names.
 */
public final class AdapterModels {
    private AdapterModels() {
    }

    /**
     * Where a model's files are: {@code dir} itself, or for an adapter directory its base, which
     * holds config.json and the tokenizer.
     *
     * @param fs   {@code dir}'s file system
     * @param dir  the model or adapter directory
     */
    public record Source(FileSystem fs, Path dir, FileSystem baseFs, Path base) {
        /** Whether {@code dir} is an adapter directory. */
        public boolean adapters() {
            return base != null;
        }

        /** The directory with config.json and the tokenizer files. */
        public Path modelFiles() {
            return base != null ? base : dir;
        }

        public FileSystem modelFilesFs() {
            return base != null ? baseFs : fs;
        }
    }

    /** Whether {@code dir} is a PEFT adapter directory. */
    public static boolean isAdapterDirectory(FileSystem fs, Path dir) throws IOException {
        return fs.exists(new Path(dir, AdapterDirectory.CONFIG));
    }

    /**
     * {@code dir} as a model: itself, or with an adapter_config.json the base {@code baseOrNull}
     * (else the one the config names), which must be a model directory.
     */
    public static Source source(Configuration conf, Path dir, String baseOrNull) throws IOException {
        FileSystem fs = HadoopFiles.fileSystem(dir, conf);
        if (!isAdapterDirectory(fs, dir)) {
            if (baseOrNull != null) {
                throw new UserInputException(dir + " is not an adapter directory (no " + AdapterDirectory.CONFIG
                        + "), so --base has nothing to apply to it");
            }
            return new Source(fs, dir, null, null);
        }
        String named = AdapterDirectory.readConfig(fs, dir).baseModelNameOrPath();
        String base = baseOrNull != null ? baseOrNull : named;
        if (base == null) {
            throw new UserInputException(new Path(dir, AdapterDirectory.CONFIG) + " names no base model"
                    + " (base_model_name_or_path is null); pass --base");
        }
        Path basePath = new Path(base);
        FileSystem baseFs = HadoopFiles.fileSystem(basePath, conf);
        if (!baseFs.exists(new Path(basePath, HfConfig.FILE))) {
            throw new UserInputException("the base model " + base + " of adapters " + dir + " is not a model directory"
                    + " (no " + HfConfig.FILE + ")" + (baseOrNull == null ? "; pass --base" : ""));
        }
        return new Source(fs, dir, baseFs, basePath);
    }

    /** The model's config.json and weights: for adapters, the base's with the adapters merged in. */
    public static ModelDirectory.Loaded load(Source s, DataType dtype) throws IOException {
        if (!s.adapters()) return ModelDirectory.load(s.fs(), s.dir(), dtype);
        HfConfig config = ModelDirectory.readConfig(s.baseFs(), s.base());
        try (LlamaWeights base = ModelDirectory.readWeights(s.baseFs(), s.base(), config.model(), dtype);
             AdapterDirectory.Loaded a = AdapterDirectory.load(s.fs(), s.dir(), config.model(), dtype)) {
            return new ModelDirectory.Loaded(config, a.adapters().merge(base));
        }
    }
}
