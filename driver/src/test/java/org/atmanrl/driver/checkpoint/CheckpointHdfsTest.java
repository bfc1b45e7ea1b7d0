package org.atmanrl.driver.checkpoint;

import static org.atmanrl.driver.checkpoint.CheckpointFixtures.assertBitIdentical;
import static org.atmanrl.driver.checkpoint.CheckpointFixtures.checkpoint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.MiniHdfs;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.TinyModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Checkpoints on a real in-process HDFS (hdfs:// paths): where the training service keeps them. */
class CheckpointHdfsTest {
    @TempDir
    static File base;
    static MiniHdfs hdfs;
    static FileSystem fs;

    @BeforeAll
    static void startHdfs() throws Exception {
        hdfs = MiniHdfs.start(base);
        fs = hdfs.fs();
        assertEquals("hdfs", fs.getScheme());
    }

    @AfterAll
    static void stopHdfs() {
        if (hdfs != null) hdfs.close();
    }

    private static Path path(String absolute) {
        return hdfs.path(absolute);
    }

    @Test
    void checkpointLoadsBitIdentical() throws IOException {
        for (LlamaConfig config : List.of(TinyModels.gqaUntiedScaled(0.2), TinyModels.mqaTied(0.2))) {
            CheckpointStore store = new CheckpointStore(fs, path("/roundtrip-" + config.tieWordEmbeddings()), 2);
            try (Checkpoint saved = checkpoint(config, 10, 8)) {
                store.save(saved);
                try (Checkpoint loaded = store.load(10, DataType.FLOAT)) {
                    assertBitIdentical(saved, loaded);
                }
            }
        }
    }

    @Test
    void resumeSkipsACorruptNewestAndTemporaries() throws IOException {
        Path root = path("/run");
        CheckpointStore store = new CheckpointStore(fs, root, 2);
        for (long step : new long[] {10, 20, 30}) {
            try (Checkpoint c = checkpoint(TinyModels.gqaUntiedScaled(0.2), step, step)) {
                store.save(c);
            }
        }
        assertEquals(List.of(20L, 30L), store.completeSteps());
        assertFalse(fs.exists(new Path(root, "step-00000010")));

        // HDFS files cannot be changed in place: rewrite optimizer.safetensors with one byte flipped.
        Path optimizer = new Path(root, "step-00000030/optimizer.safetensors");
        byte[] bytes;
        try (InputStream in = fs.open(optimizer)) {
            bytes = in.readAllBytes();
        }
        bytes[bytes.length - 1] ^= 0x40;
        try (OutputStream out = fs.create(optimizer, true)) {
            out.write(bytes);
        }
        Path crashed = new Path(root, ".step-00000040.tmp-" + UUID.randomUUID());
        assertTrue(fs.mkdirs(new Path(crashed, "model")));

        List<String> warnings = new ArrayList<>();
        try (Checkpoint resumed = store.loadNewest(DataType.FLOAT, warnings::add).orElseThrow();
             Checkpoint expected = checkpoint(TinyModels.gqaUntiedScaled(0.2), 20, 20)) {
            assertBitIdentical(expected, resumed);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("skipping checkpoint " + new Path(root, "step-00000030") + ": "),
                warnings.get(0));
        assertTrue(warnings.get(0).contains("SHA-256"), warnings.get(0));

        assertEquals(1, store.removeStaleTemporaries());
        assertFalse(fs.exists(crashed));
        assertEquals(List.of(20L, 30L), store.completeSteps());
    }
}
