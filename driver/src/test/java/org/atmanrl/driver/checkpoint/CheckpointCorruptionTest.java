package org.atmanrl.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.TinyModels;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A damaged newest checkpoint (steps 10 and 20 saved, 20 then damaged) is refused by load with
 * the file and the fault, and skipped with a warning by loadNewest, which resumes from step 10.
 */
class CheckpointCorruptionTest {
    @TempDir
    java.nio.file.Path tmp;
    java.nio.file.Path local;
    java.nio.file.Path newest;
    Path root;
    FileSystem fs;
    CheckpointStore store;

    @BeforeEach
    void twoCheckpoints() throws IOException {
        local = tmp.resolve("checkpoints");
        root = new Path(local.toUri());
        fs = HadoopFiles.fileSystem(root, new Configuration());
        store = new CheckpointStore(fs, root, 5);
        for (long step : new long[] {10, 20}) {
            try (Checkpoint c = CheckpointFixtures.checkpoint(TinyModels.gqaUntiedScaled(0.2), step, step)) {
                store.save(c);
            }
        }
        newest = local.resolve("step-00000020");
    }

    @Test
    void truncatedModelWeights() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(newest.resolve("model/model.safetensors").toFile(), "rw")) {
            f.setLength(f.length() - 4);
        }
        assertNewestRefused("model/model.safetensors", "manifest.json says", false);
    }

    @Test
    void flippedByteInOptimizerState() throws IOException {
        // The last byte is tensor data: the header still parses and the size still matches, so
        // only the hash tells; the cheap listing check still counts the checkpoint as complete.
        java.nio.file.Path file = newest.resolve("optimizer.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 0x01;
        Files.write(file, bytes);
        assertNewestRefused("optimizer.safetensors", "SHA-256", true);
    }

    @Test
    void missingManifest() throws IOException {
        Files.delete(newest.resolve("manifest.json"));
        assertNewestRefused("manifest.json", "file not found", false);
    }

    @Test
    void manifestNamingAMissingFile() throws IOException {
        addToManifest("model/tokenizer.json", new byte[] {'{', '}'});
        assertNewestRefused("model/tokenizer.json", "missing", false);
    }

    @Test
    void listedFileDeleted() throws IOException {
        Files.delete(newest.resolve("run_state.json"));
        assertNewestRefused("run_state.json", "missing", false);
    }

    @Test
    void manifestPathOutsideTheCheckpoint() throws IOException {
        // The file is there, with the size and hash listed: only the path rule refuses it.
        byte[] outside = {'x'};
        Files.write(local.resolve("x"), outside);
        addToManifest("../x", outside);
        assertNewestRefused("manifest.json", "'../x'", false);
    }

    @Test
    void fileTheManifestDoesNotList() throws IOException {
        Files.write(newest.resolve("model/model.safetensors.index.json"), new byte[] {'{', '}'});
        assertNewestRefused("model/model.safetensors.index.json", "not listed", false);
    }

    @Test
    void manifestOfAnotherStep() throws IOException {
        ObjectNode manifest = manifest();
        manifest.put("step", 30);
        Files.write(newest.resolve("manifest.json"), JsonFiles.MAPPER.writeValueAsBytes(manifest));
        assertNewestRefused("manifest.json", "says step 30", false);
    }

    @Test
    void truncatedManifest() throws IOException {
        byte[] bytes = Files.readAllBytes(newest.resolve("manifest.json"));
        Files.write(newest.resolve("manifest.json"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertNewestRefused("manifest.json", "truncated", false);
    }

    /**
     * The optimizer file holds exactly the model's tensors, in any order (issue 18 point 1): moments
     * written in reverse order load as the same state; a file missing one weight's pair is refused
     * by load and by the verification a resume runs first, naming the file and the tensor.
     */
    @Test
    void optimizerMomentsInAnyOrderButNoneMissing() throws IOException {
        Path dir = new Path(root, "step-00000020");
        Path optimizer = new Path(dir, "optimizer.safetensors");
        try (Checkpoint c = store.load(20, DataType.FLOAT)) {
            java.util.Map<String, long[]> shapes = org.atmanrl.model.LlamaWeights.shapes(c.modelConfig().model());
            List<String> names = new ArrayList<>(c.optimizer().names());
            java.util.Collections.reverse(names);
            rewriteOptimizer(optimizer, c, names, shapes);
            try (Checkpoint reordered = store.load(20, DataType.FLOAT)) {
                CheckpointFixtures.assertBitIdentical(c, reordered);
            }
            assertEquals(java.util.OptionalLong.of(20), store.newestVerified(f -> { }));

            rewriteOptimizer(optimizer, c, names.subList(1, names.size()), shapes);
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.load(20, DataType.FLOAT));
        assertTrue(e.getMessage().startsWith(optimizer + ": has no moments for the model's tensor"), e.getMessage());
        List<String> faults = new ArrayList<>();
        assertEquals(java.util.OptionalLong.of(10), store.newestVerified(faults::add));
        assertEquals(List.of(e.getMessage()), faults);
    }

    /** optimizer.safetensors with {@code c}'s moments of {@code names}, in that order, listed in the manifest. */
    private void rewriteOptimizer(Path file, Checkpoint c, List<String> names, java.util.Map<String, long[]> shapes)
            throws IOException {
        java.util.Map<String, long[]> s = new java.util.LinkedHashMap<>();
        java.util.Map<String, float[]> v = new java.util.LinkedHashMap<>();
        for (String n : names) {
            int i = c.optimizer().names().indexOf(n);
            s.put("exp_avg." + n, shapes.get(n));
            v.put("exp_avg." + n, c.optimizer().firstMoments().get(i));
            s.put("exp_avg_sq." + n, shapes.get(n));
            v.put("exp_avg_sq." + n, c.optimizer().secondMoments().get(i));
        }
        fs.delete(file, false);
        org.atmanrl.model.io.SafetensorsWriter.writeF32(fs, file, s, v,
                java.util.Map.of("format", "atmanrl-adamw", "step", Long.toString(c.optimizer().step())));
        relist("optimizer.safetensors", Files.readAllBytes(newest.resolve("optimizer.safetensors")));
    }

    @Test
    void optimizerStateOfAnotherModelWithAConsistentManifest() throws IOException {
        // Size and hash agree (the manifest was rewritten with the file): the optimizer file's
        // own checks against the model still refuse moments shaped for another model.
        Path other = new Path(tmp.resolve("other").toUri());
        try (Checkpoint c = CheckpointFixtures.checkpoint(TinyModels.mhaTiedScaled(0.2), 20, 1)) {
            new CheckpointStore(fs, other, 1).save(c);
        }
        byte[] foreign = Files.readAllBytes(tmp.resolve("other/step-00000020/optimizer.safetensors"));
        Files.write(newest.resolve("optimizer.safetensors"), foreign);
        relist("optimizer.safetensors", foreign);
        assertNewestRefused("optimizer.safetensors", "exp_avg.", true);
    }

    /**
     * Step 20 fails to load with a ModelFormatException naming {@code file} (relative to the
     * checkpoint) and containing {@code fault}; loadNewest warns once and returns step 10.
     */
    private void assertNewestRefused(String file, String fault, boolean passesCheapCheck) throws IOException {
        Path dir = new Path(root, "step-00000020");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.load(20, DataType.FLOAT));
        assertEquals(new Path(dir, file).toString(), e.file(), e.getMessage());
        assertTrue(e.getMessage().contains(fault), e.getMessage());

        List<String> warnings = new ArrayList<>();
        try (Checkpoint resumed = store.loadNewest(DataType.FLOAT, warnings::add).orElseThrow()) {
            assertEquals(10, resumed.step());
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertEquals("skipping checkpoint " + dir + ": " + e.getMessage(), warnings.get(0));
        assertEquals(passesCheapCheck ? List.of(10L, 20L) : List.of(10L), store.completeSteps());
    }

    private ObjectNode manifest() throws IOException {
        return (ObjectNode) JsonFiles.MAPPER.readTree(Files.readAllBytes(newest.resolve("manifest.json")));
    }

    private void addToManifest(String path, byte[] contents) throws IOException {
        ObjectNode manifest = manifest();
        ((ArrayNode) manifest.get("files")).addObject().put("path", path).put("size", contents.length)
                .put("sha256", sha256(contents));
        Files.write(newest.resolve("manifest.json"), JsonFiles.MAPPER.writeValueAsBytes(manifest));
    }

    private void relist(String path, byte[] contents) throws IOException {
        ObjectNode manifest = manifest();
        manifest.get("files").forEach(f -> {
            if (f.get("path").textValue().equals(path)) {
                ((ObjectNode) f).put("size", contents.length).put("sha256", sha256(contents));
            }
        });
        Files.write(newest.resolve("manifest.json"), JsonFiles.MAPPER.writeValueAsBytes(manifest));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
