package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The Llama-3.2 presets of {@code init-model --preset} (their config.json against the published
 * one, field by field) and the streaming writer they use (the same files, byte for byte, as saving
 * {@link LlamaWeights#random} held whole; docs/models.md, "Presets").
 */
class ModelPresetTest {
    /** meta-llama/Llama-3.2-1B-Instruct's config.json as published on Hugging Face. */
    static final String PUBLISHED_1B = "{\"architectures\": [\"LlamaForCausalLM\"], \"attention_bias\": false,"
            + " \"attention_dropout\": 0.0, \"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009],"
            + " \"head_dim\": 64, \"hidden_act\": \"silu\", \"hidden_size\": 2048, \"initializer_range\": 0.02,"
            + " \"intermediate_size\": 8192, \"max_position_embeddings\": 131072, \"mlp_bias\": false,"
            + " \"model_type\": \"llama\", \"num_attention_heads\": 32, \"num_hidden_layers\": 16,"
            + " \"num_key_value_heads\": 8, \"pretraining_tp\": 1, \"rms_norm_eps\": 1e-05,"
            + " \"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0,"
            + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}, \"rope_theta\": 500000.0,"
            + " \"tie_word_embeddings\": true, \"torch_dtype\": \"bfloat16\", \"transformers_version\": \"4.45.0.dev0\","
            + " \"use_cache\": true, \"vocab_size\": 128256}";
    /** The 3B model's differs from the 1B's in these fields only. */
    static final String PUBLISHED_3B = PUBLISHED_1B.replace("\"head_dim\": 64", "\"head_dim\": 128")
            .replace("\"hidden_size\": 2048", "\"hidden_size\": 3072")
            .replace("\"num_attention_heads\": 32", "\"num_attention_heads\": 24")
            .replace("\"num_hidden_layers\": 16", "\"num_hidden_layers\": 28");

    @TempDir
    java.nio.file.Path tmp;
    FileSystem fs;
    Path base;

    @BeforeEach
    void setUp() {
        base = new Path(tmp.toUri());
        fs = HadoopFiles.fileSystem(base, new Configuration());
    }

    @Test
    void the1BPresetIsLlama32OneBFieldByField() {
        LlamaConfig c = ModelPreset.LLAMA_3_2_1B.config();
        assertEquals(128256, c.vocabSize());
        assertEquals(2048, c.hiddenSize());
        assertEquals(8192, c.intermediateSize());
        assertEquals(16, c.numHiddenLayers());
        assertEquals(32, c.numAttentionHeads());
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(64, c.headDim());
        assertEquals(131072, c.maxPositionEmbeddings());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new LlamaConfig.RopeScaling("llama3", 32.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(0.02, c.initializerRange());
        assertEquals(1_235_814_400L, LlamaWeights.parameterCount(c));
    }

    @Test
    void the3BPresetIsLlama32ThreeBFieldByField() {
        LlamaConfig c = ModelPreset.LLAMA_3_2_3B.config();
        assertEquals(128256, c.vocabSize());
        assertEquals(3072, c.hiddenSize());
        assertEquals(8192, c.intermediateSize());
        assertEquals(28, c.numHiddenLayers());
        assertEquals(24, c.numAttentionHeads());
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(128, c.headDim());
        assertEquals(131072, c.maxPositionEmbeddings());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new LlamaConfig.RopeScaling("llama3", 32.0, 1.0, 4.0, 8192), c.ropeScaling());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(3_212_749_824L, LlamaWeights.parameterCount(c));
    }

    /** Every field of the published config.json is in the written one with the same value, and parses the same. */
    @Test
    void writtenConfigJsonIsThePublishedOne() {
        for (var p : Map.of(ModelPreset.LLAMA_3_2_1B, PUBLISHED_1B, ModelPreset.LLAMA_3_2_3B, PUBLISHED_3B).entrySet()) {
            byte[] written = p.getKey().hfConfig().toBytes(SafetensorsDType.BF16);
            JsonNode ours = JsonFiles.parseObject("ours", written);
            JsonNode theirs = JsonFiles.parseObject("published", p.getValue().getBytes(StandardCharsets.UTF_8));
            List<String> differ = new ArrayList<>();
            for (Iterator<String> it = theirs.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("transformers_version") && !theirs.get(f).equals(ours.get(f))) {
                    differ.add(f + ": published " + theirs.get(f) + ", written " + ours.get(f));
                }
            }
            assertEquals(List.of(), differ, p.getKey().cliName());
            for (Iterator<String> it = ours.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                assertTrue(theirs.has(f), p.getKey().cliName() + " writes '" + f + "', which the published config lacks");
            }
            assertNull(ours.get("transformers_version"));
            HfConfig parsed = HfConfig.parse("config.json", written);
            assertEquals(p.getKey().config(), parsed.model());
            assertEquals(HfConfig.parse("published", p.getValue().getBytes(StandardCharsets.UTF_8)).model(), parsed.model());
            assertEquals(List.of(128001, 128008, 128009), parsed.eosTokenIds());
            assertEquals(List.of(128000), parsed.bosTokenIds());
        }
    }

    @Test
    void presetsAreFoundByTheirCommandLineNames() {
        assertEquals(ModelPreset.LLAMA_3_2_1B, ModelPreset.byName("llama-3.2-1b"));
        assertEquals(ModelPreset.LLAMA_3_2_3B, ModelPreset.byName("Llama-3.2-3B"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelPreset.byName("llama-3.2-8b"));
        assertEquals("no preset 'llama-3.2-8b'; presets: llama-3.2-1b, llama-3.2-3b", e.getMessage());
    }

    /** The 1B preset scaled down (same rope scaling, tying, GQA ratio and dtype), small enough for a unit test. */
    static LlamaConfig scaledDown1B() {
        LlamaConfig p = ModelPreset.LLAMA_3_2_1B.config();
        return new LlamaConfig(1000, 64, 256, 3, 8, 2, 8, p.maxPositionEmbeddings(), p.rmsNormEps(), p.ropeTheta(),
                p.ropeScaling(), p.tieWordEmbeddings(), p.initializerRange());
    }

    /**
     * Streamed, F32 and BF16, one file and shards: every file equals, byte for byte, the one saving the
     * same initialisation held whole writes; and the streamed F32 directory loads back bit for bit.
     */
    @Test
    void streamedDirectoryIsByteForByteTheHeldOne() throws Exception {
        LlamaConfig c = scaledDown1B();
        long seed = 5;
        HfConfig hf = HfConfig.fresh(c);
        Map<String, byte[]> other = Map.of("generation_config.json", ModelPreset.LLAMA_3_2_1B.generationConfig());
        for (SaveOptions options : List.of(SaveOptions.of(SafetensorsDType.F32), SaveOptions.of(SafetensorsDType.BF16),
                new SaveOptions(SafetensorsDType.BF16, 100_000))) {
            String tag = options.dtype() + "-" + options.maxShardBytes();
            Path streamed = new Path(base, "streamed-" + tag), held = new Path(base, "held-" + tag);
            ModelDirectory.save(fs, streamed, hf, new RandomWeightsSource(c, seed), options, other);
            try (LlamaWeights w = LlamaWeights.random(c, seed, DataType.FLOAT)) {
                ModelDirectory.save(fs, held, hf, w, options, other);
            }
            List<String> files = list(streamed);
            assertEquals(list(held), files, tag);
            if (options.maxShardBytes() == 100_000) {
                assertTrue(files.contains(ShardIndex.FILE) && files.contains("model-00002-of-00005.safetensors"),
                        tag + ": " + files);
            }
            for (String f : files) {
                assertArrayEquals(Files.readAllBytes(tmp.resolve("held-" + tag).resolve(f)),
                        Files.readAllBytes(tmp.resolve("streamed-" + tag).resolve(f)), tag + "/" + f);
            }
        }
        try (ModelDirectory.Loaded loaded = ModelDirectory.load(fs, new Path(base, "streamed-F32-5000000000"), DataType.FLOAT);
             LlamaWeights w = LlamaWeights.random(c, seed, DataType.FLOAT)) {
            assertEquals(c, loaded.config().model());
            for (Map.Entry<String, INDArray> e : w.named().entrySet()) {
                assertArrayEquals(e.getValue().data().asFloat(), loaded.weights().named().get(e.getKey()).data().asFloat(),
                        e.getKey());
            }
        }
    }

    /** The writer asks for chunks of at most its buffer, in order; the source refuses any other order. */
    @Test
    void randomSourceDrawsInOrderOnly() {
        LlamaConfig c = scaledDown1B();
        RandomWeightsSource s = new RandomWeightsSource(c, 1);
        float[] chunk = new float[8];
        s.fill("model.embed_tokens.weight", 0, chunk, 8);
        assertThrows(IllegalStateException.class, () -> s.fill("model.embed_tokens.weight", 16, chunk, 8));
        assertThrows(IllegalArgumentException.class, () -> s.fill("lm_head.weight", 0, chunk, 8));
        s.fill("model.norm.weight", 0, chunk, 8);
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, chunk);
    }

    private List<String> list(Path dir) throws Exception {
        try (Stream<java.nio.file.Path> s = Files.list(java.nio.file.Paths.get(dir.toUri()))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
