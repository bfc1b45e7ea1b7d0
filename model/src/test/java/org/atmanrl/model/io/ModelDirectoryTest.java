package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Save/load of whole HF model directories on the local file system (through Hadoop's file://). */
class ModelDirectoryTest {
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
    void untiedF32RoundTripIsBitIdentical() throws Exception {
        RoundTrips.f32IsBitIdentical(fs, new Path(base, "untied"), TinyModels.gqaUntiedScaled(0.2),
                SaveOptions.DEFAULT_MAX_SHARD_BYTES);
        assertEquals(java.util.List.of("config.json", "model.safetensors"), list("untied"));
    }

    @Test
    void tiedF32RoundTripIsBitIdenticalAndStoresNoHead() throws Exception {
        LlamaConfig tied = TinyModels.mqaTied(0.2);
        RoundTrips.f32IsBitIdentical(fs, new Path(base, "tied"), tied, SaveOptions.DEFAULT_MAX_SHARD_BYTES);
        try (SafetensorsReader r = SafetensorsReader.open(fs, new Path(base, "tied/model.safetensors"))) {
            assertFalse(r.header().tensors().containsKey("lm_head.weight"));
            assertEquals(LlamaWeights.shapes(tied).keySet(), r.header().tensors().keySet());
        }
    }

    @Test
    void bf16FileLoadsTheValuesBf16Represents() throws Exception {
        RoundTrips.bf16LoadsBf16Values(fs, new Path(base, "bf16"), TinyModels.gqaUntiedScaled(0.2));
    }

    @Test
    void shardedDirectoryRoundTripsAndIndexesEveryTensor() throws Exception {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.2);
        RoundTrips.f32IsBitIdentical(fs, new Path(base, "sharded"), c, 1500);
        var files = list("sharded");
        assertTrue(files.contains(ShardIndex.FILE), files.toString());
        long shards = files.stream().filter(f -> f.matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
        assertTrue(shards >= 3, "expected several shards, got " + files);
        ShardIndex index = ShardIndex.parse("index", Files.readAllBytes(tmp.resolve("sharded").resolve(ShardIndex.FILE)));
        assertEquals(LlamaWeights.shapes(c).keySet(), index.weightMap().keySet());
        assertEquals(new java.util.TreeSet<>(index.weightMap().values()).size(), shards);
    }

    @Test
    void configJsonKeepsFieldsItDoesNotModel() throws Exception {
        String json = new String(HfConfig.fresh(TinyModels.mqaTied(0.2)).toBytes(SafetensorsDType.F32),
                StandardCharsets.UTF_8).replace("\"model_type\"", "\"bos_token_id\": 1, \"eos_token_id\": [2, 3],"
                + " \"transformers_version\": \"4.45.0\", \"model_type\"");
        HfConfig parsed = HfConfig.parse("config.json", json.getBytes(StandardCharsets.UTF_8));
        HfConfig again = HfConfig.parse("again", parsed.toBytes(SafetensorsDType.BF16));
        assertEquals(parsed.model(), again.model());
        assertEquals(java.util.List.of(2, 3), again.eosTokenIds());
        assertEquals("4.45.0", again.json().get("transformers_version").asText());
        assertEquals("bfloat16", again.torchDtype());
    }

    @Test
    void hfLlama32ConfigParses() {
        String json = "{\"architectures\": [\"LlamaForCausalLM\"], \"attention_bias\": false,"
                + " \"attention_dropout\": 0.0, \"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009],"
                + " \"head_dim\": 128, \"hidden_act\": \"silu\", \"hidden_size\": 3072, \"initializer_range\": 0.02,"
                + " \"intermediate_size\": 8192, \"max_position_embeddings\": 131072, \"mlp_bias\": false,"
                + " \"model_type\": \"llama\", \"num_attention_heads\": 24, \"num_hidden_layers\": 28,"
                + " \"num_key_value_heads\": 8, \"pretraining_tp\": 1, \"rms_norm_eps\": 1e-05,"
                + " \"rope_scaling\": {\"factor\": 32.0, \"high_freq_factor\": 4.0, \"low_freq_factor\": 1.0,"
                + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}, \"rope_theta\": 500000.0,"
                + " \"tie_word_embeddings\": true, \"torch_dtype\": \"bfloat16\", \"transformers_version\": \"4.45.0.dev0\","
                + " \"use_cache\": true, \"vocab_size\": 128256}";
        HfConfig c = HfConfig.parse("config.json", json.getBytes(StandardCharsets.UTF_8));
        assertEquals(LlamaConfig.RopeScaling.llama3Defaults(), c.model().ropeScaling());
        assertEquals(128, c.model().headDim());
        assertEquals(3, c.model().queriesPerKv());
        assertTrue(c.model().tieWordEmbeddings());
        assertEquals(500000.0, c.model().ropeTheta());
        assertEquals("bfloat16", c.torchDtype());
        // transformers 5 spelling: RoPE settings under rope_parameters
        String v5 = json.replace("\"rope_theta\": 500000.0,", "").replace("\"rope_scaling\"", "\"rope_parameters\"")
                .replace("\"rope_type\": \"llama3\"", "\"rope_type\": \"llama3\", \"rope_theta\": 500000.0");
        assertEquals(c.model(), HfConfig.parse("v5", v5.getBytes(StandardCharsets.UTF_8)).model());
    }

    @Test
    void savingOntoAnExistingDirectoryChangesNothing() throws Exception {
        LlamaConfig c = TinyModels.mqaTied(0.2);
        Path dir = new Path(base, "m");
        try (LlamaWeights w = TinyModels.weights(c, 1, DataType.FLOAT)) {
            ModelDirectory.save(fs, dir, HfConfig.fresh(c), w, SaveOptions.of(SafetensorsDType.F32), Map.of());
            byte[] before = Files.readAllBytes(tmp.resolve("m/model.safetensors"));
            assertThrows(FileAlreadyExistsException.class, () -> ModelDirectory.save(fs, dir,
                    HfConfig.fresh(c), w, SaveOptions.of(SafetensorsDType.BF16), Map.of()));
            assertTrue(Arrays.equals(before, Files.readAllBytes(tmp.resolve("m/model.safetensors"))));
            RoundTrips.assertNoTemporaryLeft(fs, base);
        }
    }

    @Test
    void aSaveThatFailsHalfwayLeavesNothing() throws Exception {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.2);
        try (LlamaWeights w = TinyModels.weights(c, 1, DataType.FLOAT)) {
            w.norm().putScalar(3, Float.NaN); // a late tensor: earlier shards are already written
            Path dir = new Path(base, "nan");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    ModelDirectory.save(fs, dir, HfConfig.fresh(c), w, new SaveOptions(SafetensorsDType.F32, 1500), Map.of()));
            assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());
            assertFalse(fs.exists(dir));
            RoundTrips.assertNoTemporaryLeft(fs, base);
        }
    }

    @Test
    void companionFilesAreCopied() throws Exception {
        LlamaConfig c = TinyModels.mqaTied(0.2);
        Files.createDirectories(tmp.resolve("src"));
        Files.writeString(tmp.resolve("src/tokenizer.json"), "{\"version\":\"1.0\"}");
        try (LlamaWeights w = TinyModels.weights(c, 1, DataType.FLOAT)) {
            ModelDirectory.save(fs, new Path(base, "out"), HfConfig.fresh(c), w,
                    SaveOptions.of(SafetensorsDType.F32), ModelDirectory.companionFiles(fs, new Path(base, "src")));
        }
        assertEquals("{\"version\":\"1.0\"}", Files.readString(tmp.resolve("out/tokenizer.json")));
    }

    private java.util.List<String> list(String dir) throws Exception {
        try (var s = Files.list(tmp.resolve(dir))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
