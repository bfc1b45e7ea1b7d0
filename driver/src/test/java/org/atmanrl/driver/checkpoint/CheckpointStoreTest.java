package org.atmanrl.driver.checkpoint;

import static org.atmanrl.driver.checkpoint.CheckpointFixtures.assertBitIdentical;
import static org.atmanrl.driver.checkpoint.CheckpointFixtures.checkpoint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Saving, listing, resuming and pruning checkpoints on the local file system (file:// paths). */
class CheckpointStoreTest {
    private static final LlamaConfig UNTIED = TinyModels.gqaUntiedScaled(0.2);
    private static final LlamaConfig TIED = TinyModels.mqaTied(0.2);

    @TempDir
    java.nio.file.Path tmp;
    java.nio.file.Path local;
    Path root;
    FileSystem fs;

    @BeforeEach
    void localFileSystem() {
        local = tmp.resolve("checkpoints");
        root = new Path(local.toUri());
        fs = HadoopFiles.fileSystem(root, new Configuration());
    }

    private CheckpointStore store(int keepLast) {
        return new CheckpointStore(fs, root, keepLast);
    }

    private void save(CheckpointStore store, long step) throws IOException {
        try (Checkpoint c = checkpoint(UNTIED, step, step)) {
            store.save(c);
        }
    }

    private Set<String> names() throws IOException {
        try (Stream<java.nio.file.Path> s = Files.list(local)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(java.util.TreeSet::new));
        }
    }

    @Test
    void untiedCheckpointLoadsBitIdentical() throws IOException {
        roundTrip(UNTIED);
    }

    @Test
    void tiedCheckpointLoadsBitIdentical() throws IOException {
        roundTrip(TIED);
    }

    private void roundTrip(LlamaConfig config) throws IOException {
        CheckpointStore store = store(3);
        try (Checkpoint saved = checkpoint(config, 10, 3)) {
            assertEquals(new Path(root, "step-00000010"), store.save(saved));
            try (Checkpoint loaded = store.load(10, DataType.FLOAT)) {
                assertBitIdentical(saved, loaded);
            }
        }
        assertEquals(Set.of("step-00000010"), names());
    }

    @Test
    void layoutIsAModelDirectoryWithOptimizerRunStateConfigAndManifest() throws Exception {
        CheckpointStore store = store(3);
        try (Checkpoint saved = checkpoint(UNTIED, 10, 4)) {
            Path dir = store.save(saved);
            java.nio.file.Path d = local.resolve("step-00000010");
            Map<String, java.nio.file.Path> files = new TreeMap<>();
            try (Stream<java.nio.file.Path> s = Files.walk(d)) {
                s.filter(Files::isRegularFile).forEach(p -> files.put(d.relativize(p).toString(), p));
            }
            assertEquals(Set.of("manifest.json", "optimizer.safetensors", "run_state.json", "config.yaml",
                    "model/config.json", "model/model.safetensors", "model/tokenizer_config.json"), files.keySet());
            assertArrayEquals(saved.runState(), Files.readAllBytes(files.get("run_state.json")));
            assertArrayEquals(saved.config(), Files.readAllBytes(files.get("config.yaml")));

            // Every other file in the manifest, with its size and SHA-256 computed here independently.
            JsonNode manifest = JsonFiles.MAPPER.readTree(Files.readAllBytes(files.get("manifest.json")));
            assertEquals(10, manifest.get("step").longValue());
            assertEquals(1, manifest.get("version").intValue());
            Map<String, JsonNode> listed = new TreeMap<>();
            manifest.get("files").forEach(f -> listed.put(f.get("path").textValue(), f));
            files.remove("manifest.json");
            assertEquals(files.keySet(), listed.keySet());
            for (var f : files.entrySet()) {
                byte[] bytes = Files.readAllBytes(f.getValue());
                assertEquals(bytes.length, listed.get(f.getKey()).get("size").longValue(), f.getKey());
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                assertEquals(sha, listed.get(f.getKey()).get("sha256").textValue(), f.getKey());
            }

            // Any checkpoint is a model other commands can load.
            try (ModelDirectory.Loaded model = ModelDirectory.load(fs, new Path(dir, "model"), DataType.FLOAT)) {
                CheckpointFixtures.assertBitIdentical(saved.weights(), model.weights());
                assertEquals("float32", model.config().torchDtype());
            }
        }
    }

    @Test
    void resumedTrainingIsBitIdenticalToUninterrupted() throws IOException {
        CheckpointStore store = store(3);
        AdamW.Config adamConfig = new AdamW.Config(0.9, 0.98, 1e-8, 0.01, AdamW.DecayScope.EXCLUDE_NORMS);
        try (LlamaWeights uninterrupted = TinyModels.weights(UNTIED, 5, DataType.FLOAT)) {
            AdamW adam = new AdamW(adamConfig, uninterrupted.named());
            CheckpointFixtures.train(adam, uninterrupted, 0, 3);
            store.save(new Checkpoint(3, HfConfig.fresh(UNTIED), uninterrupted, Map.of(), adam.state(),
                    CheckpointFixtures.runState(3, 5), new byte[0]));
            CheckpointFixtures.train(adam, uninterrupted, 3, 6);

            try (Checkpoint resumed = store.loadNewest(DataType.FLOAT, w -> { throw new AssertionError(w); })
                    .orElseThrow()) {
                AdamW restored = new AdamW(adamConfig, resumed.weights().named());
                restored.restore(resumed.optimizer());
                CheckpointFixtures.train(restored, resumed.weights(), resumed.step(), 6);
                assertEquals(adam.steps(), restored.steps());
                assertBitIdentical(uninterrupted, resumed.weights());
            }
        }
    }

    @Test
    void loadNewestPicksTheHighestStep() throws IOException {
        CheckpointStore store = store(5);
        for (long step : new long[] {10, 30, 20}) {
            save(store, step);
        }
        List<String> warnings = new ArrayList<>();
        try (Checkpoint newest = store.loadNewest(DataType.FLOAT, warnings::add).orElseThrow();
             Checkpoint expected = checkpoint(UNTIED, 30, 30)) {
            assertBitIdentical(expected, newest);
        }
        assertEquals(List.of(), warnings);
        assertEquals(List.of(10L, 20L, 30L), store.completeSteps());
    }

    @Test
    void loadNewestIgnoresTemporaryDirectories() throws IOException {
        CheckpointStore store = store(5);
        save(store, 10);
        // A complete checkpoint of a later step, but still under its temporary name: its writer
        // did not get to rename it, so it must not count.
        Path elsewhere = new Path(tmp.resolve("elsewhere").toUri());
        save(new CheckpointStore(fs, elsewhere, 1), 40);
        Path temporary = new Path(root, ".step-00000040.tmp-" + UUID.randomUUID());
        assertTrue(fs.rename(new Path(elsewhere, "step-00000040"), temporary));

        List<String> warnings = new ArrayList<>();
        try (Checkpoint newest = store.loadNewest(DataType.FLOAT, warnings::add).orElseThrow()) {
            assertEquals(10, newest.step());
        }
        assertEquals(List.of(), warnings);
        assertEquals(List.of(10L), store.completeSteps());
    }

    @Test
    void noDirectoryMeansNoCheckpoint() throws IOException {
        CheckpointStore store = store(2);
        assertEquals(Optional.empty(), store.loadNewest(DataType.FLOAT, w -> { throw new AssertionError(w); }));
        assertEquals(List.of(), store.completeSteps());
        assertEquals(0, store.removeStaleTemporaries());
    }

    @Test
    void keepLastPrunesOlderCheckpointsOnlyOnceTheNewOneIsComplete() throws IOException {
        CheckpointStore store = store(2);
        save(store, 10);
        save(store, 20);
        assertEquals(List.of(10L, 20L), store.completeSteps());

        // A save that fails while writing (a moment that is not finite, found after the model is
        // written) must leave the older checkpoints and no trace of itself.
        try (Checkpoint c = checkpoint(UNTIED, 30, 30)) {
            AdamW.State s = c.optimizer();
            float[] broken = s.secondMoments().get(1).clone();
            broken[0] = Float.NaN;
            List<float[]> second = new ArrayList<>(s.secondMoments());
            second.set(1, broken);
            Checkpoint failing = new Checkpoint(30, c.modelConfig(), c.weights(), c.modelFiles(),
                    new AdamW.State(s.step(), s.names(), s.firstMoments(), second), c.runState(), c.config());
            assertThrows(IllegalArgumentException.class, () -> store.save(failing));
        }
        assertEquals(Set.of("step-00000010", "step-00000020"), names());

        save(store, 30);
        assertEquals(List.of(20L, 30L), store.completeSteps());
        save(store, 40);
        assertEquals(List.of(30L, 40L), store.completeSteps());
        assertEquals(Set.of("step-00000030", "step-00000040"), names());
    }

    @Test
    void pruningLeavesLaterAndIncompleteCheckpointsAlone() throws IOException {
        CheckpointStore store = store(1);
        save(store, 5);
        Files.delete(local.resolve("step-00000005").resolve("manifest.json"));
        save(store, 50);
        save(store, 10);
        save(store, 20);
        // 10 was pruned for 20; 50 is later (another run's) and 5 incomplete: both left alone.
        assertEquals(Set.of("step-00000005", "step-00000020", "step-00000050"), names());
        assertEquals(List.of(20L, 50L), store.completeSteps());
    }

    @Test
    void savingAStepThatExistsIsRefusedWithoutTouchingIt() throws IOException {
        CheckpointStore store = store(3);
        save(store, 10);
        Map<String, Long> before = CheckpointFiles.sizes(fs, new Path(root, "step-00000010"));
        byte[] manifest = Files.readAllBytes(local.resolve("step-00000010").resolve("manifest.json"));
        try (Checkpoint other = checkpoint(TIED, 10, 99)) {
            FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, () -> store.save(other));
            assertTrue(e.getMessage().contains("step-00000010"), e.getMessage());
        }
        assertEquals(before, CheckpointFiles.sizes(fs, new Path(root, "step-00000010")));
        assertArrayEquals(manifest, Files.readAllBytes(local.resolve("step-00000010").resolve("manifest.json")));
        assertEquals(Set.of("step-00000010"), names());
        try (Checkpoint loaded = store.load(10, DataType.FLOAT); Checkpoint original = checkpoint(UNTIED, 10, 10)) {
            assertBitIdentical(original, loaded);
        }
    }

    @Test
    void removeStaleTemporariesRemovesOnlyTemporaries() throws IOException {
        CheckpointStore store = store(3);
        save(store, 10);
        save(store, 20);
        Files.delete(local.resolve("step-00000020").resolve("manifest.json"));
        String crashed = ".step-00000030.tmp-" + UUID.randomUUID();
        Files.createDirectories(local.resolve(crashed).resolve("model"));
        Files.write(local.resolve(crashed).resolve("run_state.json"), new byte[] {'{', '}'});
        String empty = ".step-00000040.tmp-" + UUID.randomUUID();
        Files.createDirectories(local.resolve(empty));
        Files.write(local.resolve("notes.txt"), new byte[] {1});
        Files.createDirectories(local.resolve(".step-00000050.tmp-not-a-uuid"));
        String notHidden = "step-00000060.tmp-" + UUID.randomUUID();
        Files.createDirectories(local.resolve(notHidden));

        assertEquals(2, store.removeStaleTemporaries());
        assertEquals(Set.of("step-00000010", "step-00000020", "notes.txt", ".step-00000050.tmp-not-a-uuid",
                notHidden), names());
        assertEquals(0, store.removeStaleTemporaries());
        assertEquals(List.of(10L), store.completeSteps());
    }

    @Test
    void weightsWiderThanF32AreRefusedBeforeAnythingIsWritten() throws IOException {
        CheckpointStore store = store(3);
        try (Checkpoint c = checkpoint(UNTIED, 10, 1); LlamaWeights wide = c.weights().copy(DataType.DOUBLE)) {
            Checkpoint doubles = new Checkpoint(10, c.modelConfig(), wide, c.modelFiles(), c.optimizer(),
                    c.runState(), c.config());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.save(doubles));
            assertTrue(e.getMessage().contains("FLOAT"), e.getMessage());
        }
        assertFalse(Files.exists(local) && !names().isEmpty(), "nothing written");
    }

    @Test
    void keepLastMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new CheckpointStore(fs, root, 0));
    }
}
