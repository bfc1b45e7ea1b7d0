package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Each kind of bad model input gets one {@link ModelFormatException} that names the file and the
 * fault: never an OutOfMemoryError or an unrelated exception.
 */
class BadModelInputTest {
    @TempDir
    java.nio.file.Path tmp;
    FileSystem fs;
    final LlamaConfig config = TinyModels.gqaUntiedScaled(0.2);

    @BeforeEach
    void setUp() {
        fs = HadoopFiles.fileSystem(new Path(tmp.toUri()), new Configuration());
    }

    // --- one safetensors file ---

    @Test
    void truncatedFile() throws Exception {
        java.nio.file.Path dir = saveValid();
        java.nio.file.Path weights = dir.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        expectLoadFails(dir, "model.safetensors", "truncated");
    }

    @Test
    void fileShorterThanTheLengthField() throws Exception {
        Files.write(tmp.resolve("x.safetensors"), new byte[] {1, 2, 3});
        expectOpenFails("x.safetensors", "shorter than the 8-byte header length");
    }

    @Test
    void headerLengthLargerThanTheFile() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"), 1000, "{}", new byte[0]);
        expectOpenFails("x.safetensors", "says 1000 bytes but the file has only 2");
    }

    @Test
    void headerLengthClaiming2To60Bytes() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"), 1L << 60, "{}", new byte[0]);
        expectOpenFails("x.safetensors", "more than the format's limit");
    }

    @Test
    void tensorClaiming2To60Bytes() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[288230376151711744],\"data_offsets\":[0,1152921504606846976]}}",
                new byte[16]);
        expectOpenFails("x.safetensors", "beyond the 16 data bytes");
    }

    @Test
    void invalidHeaderJson() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"), "{\"w\":{\"dtype\":\"F32\",", new byte[0]);
        expectOpenFails("x.safetensors", "header: truncated: the JSON ends unfinished at line 1");
    }

    @Test
    void unknownDtype() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"),
                "{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);
        expectOpenFails("x.safetensors", "tensor 'w' has unknown dtype 'Q7'; supported: F32, BF16, F16");
    }

    @Test
    void dataSizeNotMatchingShape() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
        expectOpenFails("x.safetensors", "is F32 [3] = 12 bytes, but its data_offsets [0, 8] span 8");
    }

    @Test
    void overlappingOffsets() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        expectOpenFails("x.safetensors", "tensor 'b' [4, 12) overlaps tensor 'a' [0, 8)");
    }

    @Test
    void outOfRangeOffsets() throws Exception {
        SafetensorsFiles.write(tmp.resolve("x.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", new byte[12]);
        expectOpenFails("x.safetensors", "tensor 'b' has data_offsets [8, 16] beyond the 12 data bytes");
    }

    // --- a model directory ---

    @Test
    void missingTensor() throws Exception {
        java.nio.file.Path dir = saveValidWithTensors(m -> m.remove("model.layers.1.mlp.up_proj.weight"));
        expectLoadFails(dir, "model.safetensors", "missing tensor 'model.layers.1.mlp.up_proj.weight'");
    }

    @Test
    void unexpectedTensor() throws Exception {
        java.nio.file.Path dir = saveValidWithTensors(m -> m.put("model.layers.2.mlp.up_proj.weight",
                Nd4j.zeros(DataType.FLOAT, 12, 8)));
        expectLoadFails(dir, "model.safetensors", "unexpected tensor 'model.layers.2.mlp.up_proj.weight'");
    }

    @Test
    void shapeDisagreesWithConfigJson() throws Exception {
        java.nio.file.Path dir = saveValid();
        replaceInConfig(dir, "\"intermediate_size\" : 12", "\"intermediate_size\" : 16");
        expectLoadFails(dir, "model.safetensors", "tensor 'model.layers.0.mlp.gate_proj.weight' has shape"
                + " [12, 8] but config.json implies [16, 8]");
    }

    @Test
    void unsupportedModelType() throws Exception {
        java.nio.file.Path dir = saveValid();
        replaceInConfig(dir, "\"model_type\" : \"llama\"", "\"model_type\" : \"mistral\"");
        expectLoadFails(dir, "config.json", "model_type is \"mistral\"; only \"llama\"");
    }

    @Test
    void indexNamingAShardThatIsNotThere() throws Exception {
        java.nio.file.Path dir = tmp.resolve("sharded");
        try (LlamaWeights w = TinyModels.weights(config, 3, DataType.FLOAT)) {
            ModelDirectory.save(fs, new Path(dir.toUri()), HfConfig.fresh(config), w,
                    new SaveOptions(SafetensorsDType.F32, 1500), Map.of());
        }
        Files.delete(dir.resolve("model-00002-of-" + String.format("%05d", countShards(dir)) + ".safetensors"));
        expectLoadFails(dir, ShardIndex.FILE, "names shard 'model-00002-of-");
    }

    private long countShards(java.nio.file.Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("model-")).count();
        }
    }

    private java.nio.file.Path saveValid() throws Exception {
        java.nio.file.Path dir = tmp.resolve("model");
        try (LlamaWeights w = TinyModels.weights(config, 3, DataType.FLOAT)) {
            ModelDirectory.save(fs, new Path(dir.toUri()), HfConfig.fresh(config), w,
                    SaveOptions.of(SafetensorsDType.F32), Map.of());
        }
        return dir;
    }

    private java.nio.file.Path saveValidWithTensors(java.util.function.Consumer<Map<String, INDArray>> edit)
            throws Exception {
        java.nio.file.Path dir = saveValid();
        Files.delete(dir.resolve("model.safetensors"));
        try (LlamaWeights w = TinyModels.weights(config, 3, DataType.FLOAT)) {
            Map<String, INDArray> tensors = new LinkedHashMap<>(w.named());
            edit.accept(tensors);
            SafetensorsWriter.write(fs, new Path(dir.resolve("model.safetensors").toUri()), tensors,
                    SafetensorsDType.F32, Map.of());
        }
        return dir;
    }

    private static void replaceInConfig(java.nio.file.Path dir, String from, String to) throws Exception {
        java.nio.file.Path file = dir.resolve("config.json");
        String json = Files.readString(file);
        assertTrue(json.contains(from), "test setup: config.json lacks " + from + ":\n" + json);
        Files.writeString(file, json.replace(from, to));
    }

    /** Loading fails, and so does the check that reads no tensor (what commands run before their work). */
    private void expectLoadFails(java.nio.file.Path dir, String file, String fault) {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelDirectory.load(fs, new Path(dir.toUri()), DataType.FLOAT).close());
        check(e, file, fault);
        Path p = new Path(dir.toUri());
        ModelFormatException checked = assertThrows(ModelFormatException.class,
                () -> ModelDirectory.checkWeights(fs, p, ModelDirectory.readConfig(fs, p).model()));
        check(checked, file, fault);
    }

    private void expectOpenFails(String file, String fault) {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> SafetensorsReader.open(fs, new Path(tmp.resolve(file).toUri())).close());
        check(e, file, fault);
    }

    private static void check(ModelFormatException e, String file, String fault) {
        assertTrue(e.file().endsWith(file), "names the file " + file + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(fault), "says '" + fault + "': " + e.getMessage());
        assertTrue(e.getMessage().indexOf('\n') < 0, "one line: " + e.getMessage());
    }
}
