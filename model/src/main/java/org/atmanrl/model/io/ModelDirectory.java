package org.atmanrl.model.io;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.StoredWeights;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face model directory ({@code config.json}, {@code model.safetensors} or shards with
 * {@code model.safetensors.index.json}, tokenizer files) read and written through Hadoop
 * {@link FileSystem}, with {@code LlamaForCausalLM} tensor names.
 *
 * <p>Loading checks the whole directory (every header, every name, every shape against
 * config.json) before it allocates a single tensor, so a bad directory fails fast with one
 * message. Saving writes a complete directory under a temporary sibling name and renames it into
 * place, so a reader never sees a half-written model.
 */
public final class ModelDirectory {
    public static final String WEIGHTS = "model.safetensors";
    /** Files copied unchanged into a saved model: the tokenizer and generation settings. */
    public static final List<String> COMPANION_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json");
    private static final long MAX_JSON_BYTES = 64L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(ModelDirectory.class);

    private ModelDirectory() {
    }

    /** A loaded model: its config.json and its weights (closing frees the weights). */
    public record Loaded(HfConfig config, LlamaWeights weights) implements AutoCloseable {
        @Override
        public void close() {
            weights.close();
        }
    }

    public static HfConfig readConfig(FileSystem fs, Path dir) throws IOException {
        Path file = new Path(dir, HfConfig.FILE);
        return HfConfig.parse(file.toString(), HadoopFiles.readSmall(fs, file, MAX_JSON_BYTES));
    }

    /**
     * Loads config.json and the weights, converted to {@code dtype}: FLOAT or DOUBLE, or BFLOAT16
     * for bf16-stored matrices with fp32 norms and compute ({@link LlamaWeights#bf16Copy}).
     */
    public static Loaded load(FileSystem fs, Path dir, DataType dtype) throws IOException {
        HfConfig config = readConfig(fs, dir);
        return new Loaded(config, readWeights(fs, dir, config.model(), dtype));
    }

    public static LlamaWeights readWeights(FileSystem fs, Path dir, LlamaConfig config, DataType dtype)
            throws IOException {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE && dtype != DataType.BFLOAT16) {
            throw new IllegalArgumentException("weights load as FLOAT, DOUBLE or BFLOAT16 (storage), got " + dtype);
        }
        List<SafetensorsReader> readers = openAll(fs, dir);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try {
            checkHeaders(config, readers);
            for (SafetensorsReader r : readers) {
                for (SafetensorsHeader.Entry e : r.header().inFileOrder()) {
                    if (isDerivedBuffer(e.name())) {
                        continue;
                    }
                    INDArray a = r.read(e);
                    if (dtype == DataType.DOUBLE || (dtype == DataType.BFLOAT16 && a.rank() == 2)) {
                        // a tensor at a time, so loading needs one tensor's fp32 beyond the stored model
                        INDArray d = dtype == DataType.DOUBLE ? a.castTo(DataType.DOUBLE) : StoredWeights.toBf16(a);
                        a.close();
                        a = d;
                    }
                    tensors.put(e.name(), a);
                }
            }
            return LlamaWeights.fromNamed(config, tensors);
        } catch (RuntimeException | IOException e) {
            tensors.values().forEach(INDArray::close);
            throw e;
        } finally {
            for (SafetensorsReader r : readers) r.close();
        }
    }

    /**
     * Checks the weights of {@code dir} against {@code config} as {@link #readWeights} does (every
     * header, each file's size, every tensor's name and shape) without reading a tensor: what a
     * command checks before it starts work that a bad directory would break later.
     */
    public static void checkWeights(FileSystem fs, Path dir, LlamaConfig config) throws IOException {
        List<SafetensorsReader> readers = openAll(fs, dir);
        try {
            checkHeaders(config, readers);
        } finally {
            for (SafetensorsReader r : readers) r.close();
        }
    }

    private static void checkHeaders(LlamaConfig config, List<SafetensorsReader> readers) {
        Map<String, SafetensorsHeader.Entry> found = new LinkedHashMap<>();
        Map<String, SafetensorsReader> owner = new LinkedHashMap<>();
        for (SafetensorsReader r : readers) {
            for (SafetensorsHeader.Entry e : r.header().tensors().values()) {
                SafetensorsReader other = owner.putIfAbsent(e.name(), r);
                if (other != null) {
                    throw new ModelFormatException(r.file(), "tensor '" + e.name() + "' is also in " + other.file());
                }
                found.put(e.name(), e);
            }
        }
        checkNames(config, found, owner, readers.get(0).file());
    }

    /**
     * Rotary inverse frequencies that old transformers versions stored as a buffer: derived from
     * config.json, so skipped rather than rejected.
     */
    private static boolean isDerivedBuffer(String name) {
        return name.endsWith(".rotary_emb.inv_freq");
    }

    private static void checkNames(LlamaConfig config, Map<String, SafetensorsHeader.Entry> found,
                                   Map<String, SafetensorsReader> owner, String firstFile) {
        Map<String, long[]> expected = LlamaWeights.shapes(config);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafetensorsHeader.Entry f = found.get(e.getKey());
            if (f == null) {
                throw new ModelFormatException(firstFile, "missing tensor '" + e.getKey() + "' (config.json: "
                        + config.numHiddenLayers() + " layers, tie_word_embeddings="
                        + config.tieWordEmbeddings() + ")");
            }
            if (!Arrays.equals(f.shape(), e.getValue())) {
                throw new ModelFormatException(owner.get(e.getKey()).file(), "tensor '" + e.getKey()
                        + "' has shape " + Arrays.toString(f.shape()) + " but config.json implies "
                        + Arrays.toString(e.getValue()) + " (hidden_size=" + config.hiddenSize()
                        + ", intermediate_size=" + config.intermediateSize() + ", vocab_size="
                        + config.vocabSize() + ", heads=" + config.numAttentionHeads() + "/"
                        + config.numKeyValueHeads() + ", head_dim=" + config.headDim() + ")");
            }
        }
        for (String name : found.keySet()) {
            if (!expected.containsKey(name) && !isDerivedBuffer(name)) {
                String hint = name.equals("lm_head.weight") ? " (config.json has tie_word_embeddings=true)"
                        : name.startsWith("model.layers.") ? " (config.json has num_hidden_layers="
                        + config.numHiddenLayers() + ")" : "";
                throw new ModelFormatException(owner.get(name).file(), "unexpected tensor '" + name
                        + "'; a LlamaForCausalLM checkpoint of this config.json does not have it" + hint);
            }
        }
    }

    private static List<SafetensorsReader> openAll(FileSystem fs, Path dir) throws IOException {
        Path indexFile = new Path(dir, ShardIndex.FILE);
        Path single = new Path(dir, WEIGHTS);
        List<SafetensorsReader> readers = new ArrayList<>();
        try {
            if (fs.exists(indexFile)) {
                ShardIndex index = ShardIndex.parse(indexFile.toString(),
                        HadoopFiles.readSmall(fs, indexFile, MAX_JSON_BYTES));
                for (String shard : new java.util.LinkedHashSet<>(index.weightMap().values())) {
                    Path p = new Path(dir, shard);
                    if (!fs.exists(p)) {
                        throw new ModelFormatException(indexFile.toString(), "names shard '" + shard
                                + "', which is not in " + dir);
                    }
                    SafetensorsReader r = SafetensorsReader.open(fs, p);
                    readers.add(r);
                    for (String t : r.header().tensors().keySet()) {
                        String listed = index.weightMap().get(t);
                        if (!shard.equals(listed)) {
                            throw new ModelFormatException(r.file(), "holds tensor '" + t + "', which "
                                    + indexFile.getName() + (listed == null ? " does not list"
                                    : " maps to " + listed));
                        }
                    }
                }
                index.weightMap().forEach((t, shard) -> {
                    boolean present = readers.stream().anyMatch(r -> r.header().tensors().containsKey(t)
                            && new Path(r.file()).getName().equals(shard));
                    if (!present) {
                        throw new ModelFormatException(new Path(dir, shard).toString(), "missing tensor '" + t
                                + "' that " + indexFile.getName() + " maps to this file");
                    }
                });
            } else if (fs.exists(single)) {
                readers.add(SafetensorsReader.open(fs, single));
            } else {
                throw new ModelFormatException(dir.toString(), "has neither " + WEIGHTS + " nor "
                        + ShardIndex.FILE);
            }
            return readers;
        } catch (RuntimeException | IOException e) {
            for (SafetensorsReader r : readers) r.close();
            throw e;
        }
    }

    /**
     * The {@link #COMPANION_FILES} present in {@code dir}, by name: what a model saved from this
     * one carries over unchanged.
     */
    public static Map<String, byte[]> companionFiles(FileSystem fs, Path dir) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : COMPANION_FILES) {
            Path src = new Path(dir, name);
            if (fs.exists(src)) {
                files.put(name, HadoopFiles.readSmall(fs, src, MAX_JSON_BYTES));
            }
        }
        return files;
    }

    /**
     * Writes a complete model directory at {@code dir}, which must not exist: config.json,
     * weights (sharded past {@link SaveOptions#maxShardBytes}) and {@code otherFiles} (tokenizer
     * and generation files, by name). Nothing appears at {@code dir} until all is written.
     */
    public static void save(FileSystem fs, Path dir, HfConfig config, LlamaWeights weights,
                            SaveOptions options, Map<String, byte[]> otherFiles) throws IOException {
        save(fs, dir, config, weights, options, otherFiles, (f, d) -> { });
    }

    /** Writes more files into a model directory that is still under its temporary name. */
    public interface ExtraFiles {
        void write(FileSystem fs, Path dir) throws IOException;
    }

    /** {@link #save}, with {@code extra} writing more files (a mask network's) before the directory appears. */
    public static void save(FileSystem fs, Path dir, HfConfig config, LlamaWeights weights,
                            SaveOptions options, Map<String, byte[]> otherFiles, ExtraFiles extra) throws IOException {
        checkExtraNames(otherFiles);
        if (!config.model().equals(weights.config())) {
            throw new IllegalArgumentException("config.json describes " + config.model()
                    + " but the weights are " + weights.config());
        }
        requireAbsent(fs, dir);
        HadoopFiles.writeAtomically(fs, dir, tmp -> {
            fs.mkdirs(tmp);
            writeSmall(fs, new Path(tmp, HfConfig.FILE), config.toBytes(options.dtype()));
            List<Map<String, INDArray>> shards = shard(weights.named(), options);
            if (shards.size() == 1) {
                SafetensorsWriter.write(fs, new Path(tmp, WEIGHTS), shards.get(0), options.dtype(), Map.of("format", "pt"));
            } else {
                Map<String, String> weightMap = new LinkedHashMap<>();
                for (int i = 0; i < shards.size(); i++) {
                    String name = shardFile(i, shards.size());
                    SafetensorsWriter.write(fs, new Path(tmp, name), shards.get(i), options.dtype(), Map.of("format", "pt"));
                    shards.get(i).keySet().forEach(t -> weightMap.put(t, name));
                }
                long total = SafetensorsWriter.dataBytes(weights.named(), options.dtype());
                writeSmall(fs, new Path(tmp, ShardIndex.FILE), new ShardIndex(weightMap, total).toBytes());
            }
            for (Map.Entry<String, byte[]> f : otherFiles.entrySet()) {
                writeSmall(fs, new Path(tmp, f.getKey()), f.getValue());
            }
            extra.write(fs, tmp);
        });
        LOG.info("saved {} ({} weights, {})", dir, options.dtype(), weights.parameterCount());
    }

    /**
     * {@link #save} of weights that are never held whole: {@code source} gives each tensor of
     * {@link LlamaWeights#shapes} chunk by chunk as it is written (docs/models.md, "Presets"), so a
     * model of any size is written in constant memory. Same files, sharding and atomic rename as
     * {@link #save}.
     */
    public static void save(FileSystem fs, Path dir, HfConfig config, SafetensorsWriter.TensorSource source,
                            SaveOptions options, Map<String, byte[]> otherFiles) throws IOException {
        checkExtraNames(otherFiles);
        requireAbsent(fs, dir);
        Map<String, long[]> shapes = LlamaWeights.shapes(config.model());
        HadoopFiles.writeAtomically(fs, dir, tmp -> {
            fs.mkdirs(tmp);
            writeSmall(fs, new Path(tmp, HfConfig.FILE), config.toBytes(options.dtype()));
            List<Map<String, long[]>> shards = shard(shapes, ModelDirectory::elements, options);
            if (shards.size() == 1) {
                SafetensorsWriter.write(fs, new Path(tmp, WEIGHTS), shards.get(0), source, options.dtype(),
                        Map.of("format", "pt"));
            } else {
                Map<String, String> weightMap = new LinkedHashMap<>();
                long total = 0;
                for (int i = 0; i < shards.size(); i++) {
                    String name = shardFile(i, shards.size());
                    SafetensorsWriter.write(fs, new Path(tmp, name), shards.get(i), source, options.dtype(),
                            Map.of("format", "pt"));
                    for (Map.Entry<String, long[]> t : shards.get(i).entrySet()) {
                        weightMap.put(t.getKey(), name);
                        total += elements(t.getValue()) * options.dtype().bytes();
                    }
                }
                writeSmall(fs, new Path(tmp, ShardIndex.FILE), new ShardIndex(weightMap, total).toBytes());
            }
            for (Map.Entry<String, byte[]> f : otherFiles.entrySet()) {
                writeSmall(fs, new Path(tmp, f.getKey()), f.getValue());
            }
        });
        LOG.info("saved {} ({} weights, {}, streamed)", dir, options.dtype(), LlamaWeights.parameterCount(config.model()));
    }

    /** HF's name of weight shard {@code index} (0-based) of {@code count}: {@code model-00001-of-00003.safetensors}. */
    public static String shardFile(int index, int count) {
        return String.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    private static void checkExtraNames(Map<String, byte[]> otherFiles) {
        for (String name : otherFiles.keySet()) {
            if (name.contains("/") || name.equals(HfConfig.FILE) || name.endsWith(".safetensors")
                    || name.equals(ShardIndex.FILE)) {
                throw new IllegalArgumentException("'" + name + "' cannot be written as an extra file");
            }
        }
    }

    /**
     * Fails unless {@code dir} is free for {@link #save}: commands that train before they save
     * call it first, so a taken output directory is reported before the work, not after.
     */
    public static void requireAbsent(FileSystem fs, Path dir) throws IOException {
        if (fs.exists(dir)) {
            throw new FileAlreadyExistsException(dir + " already exists; a model directory is never overwritten");
        }
    }

    /** Writes a small file into a directory that is itself still under its temporary name. */
    public static void writeSmall(FileSystem fs, Path file, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(file, false)) {
            out.write(bytes);
        }
    }

    /** Consecutive tensors grouped up to the shard size, in checkpoint order (as HF shards). */
    private static List<Map<String, INDArray>> shard(Map<String, INDArray> tensors, SaveOptions options) {
        return shard(tensors, INDArray::length, options);
    }

    /** {@link #shard(Map, SaveOptions)} of tensors given as anything that knows its element count. */
    private static <T> List<Map<String, T>> shard(Map<String, T> tensors, ToLongFunction<T> elements,
                                                  SaveOptions options) {
        List<Map<String, T>> shards = new ArrayList<>();
        Map<String, T> current = new LinkedHashMap<>();
        long bytes = 0;
        for (Map.Entry<String, T> t : tensors.entrySet()) {
            long size = elements.applyAsLong(t.getValue()) * options.dtype().bytes();
            if (!current.isEmpty() && bytes + size > options.maxShardBytes()) {
                shards.add(current);
                current = new LinkedHashMap<>();
                bytes = 0;
            }
            current.put(t.getKey(), t.getValue());
            bytes += size;
        }
        shards.add(current);
        return shards;
    }
}
