package org.atmanrl.model.io;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The embedded default model: the tiny Llama of docs/design.md 2.4 (hidden 128, intermediate 384,
 * 4 layers, 4 query / 2 KV heads, head_dim 32, about 0.79M parameters) over the character
 * vocabulary of {@link CharTokenizerFiles}, as a complete HF model directory that needs no
 * download.
 */
public final class EmbeddedModel {
    /** Prompt plus completion of the embedded task is well under this many characters. */
    public static final int MAX_POSITIONS = 256;

    private EmbeddedModel() {
    }

    public static LlamaConfig config() {
        return new LlamaConfig(CharTokenizerFiles.vocabSize(), 128, 384, 4, 4, 2, 32, MAX_POSITIONS, 1e-5,
                10000.0, null, true, 0.02);
    }

    /** config.json with the tokenizer's BOS/EOS ids, as HF configs carry them. */
    public static HfConfig hfConfig() {
        HfConfig c = HfConfig.fresh(config());
        c.json().put("bos_token_id", CharTokenizerFiles.BEGIN_OF_TEXT_ID);
        c.json().put("eos_token_id", CharTokenizerFiles.END_OF_TEXT_ID);
        return c;
    }

    /** The tokenizer files, by name, to write beside the weights. */
    public static Map<String, byte[]> tokenizerFiles() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(Tokenizer.TOKENIZER_FILE, CharTokenizerFiles.tokenizerJson());
        files.put(Tokenizer.CONFIG_FILE, CharTokenizerFiles.tokenizerConfigJson(MAX_POSITIONS));
        return files;
    }

    /** Writes a freshly initialised model directory (HF initialisation, keyed by {@code seed}). */
    public static void create(FileSystem fs, Path dir, long seed) throws IOException {
        try (LlamaWeights weights = LlamaWeights.random(config(), seed, DataType.FLOAT)) {
            ModelDirectory.save(fs, dir, hfConfig(), weights, SaveOptions.of(SafetensorsDType.F32), tokenizerFiles());
        }
    }
}
