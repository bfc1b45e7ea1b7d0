package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.atmanrl.model.TokenBatch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Save/load properties that must hold on any Hadoop file system: the local tests and the
 * MiniDFSCluster test run the same checks.
 */
final class RoundTrips {
    private RoundTrips() {
    }

    /** F32 on disk: every tensor comes back bit for bit, and so do the model's log-probs. */
    static void f32IsBitIdentical(FileSystem fs, Path dir, LlamaConfig config, long maxShardBytes)
            throws IOException {
        try (LlamaWeights saved = TinyModels.weights(config, 17, DataType.FLOAT)) {
            ModelDirectory.save(fs, dir, HfConfig.fresh(config), saved,
                    new SaveOptions(SafetensorsDType.F32, maxShardBytes), Map.of());
            assertNoTemporaryLeft(fs, dir.getParent());
            try (ModelDirectory.Loaded loaded = ModelDirectory.load(fs, dir, DataType.FLOAT)) {
                assertEquals(config, loaded.config().model());
                Map<String, INDArray> a = saved.named(), b = loaded.weights().named();
                assertEquals(a.keySet(), b.keySet());
                for (String name : a.keySet()) {
                    assertArrayEquals(a.get(name).shape(), b.get(name).shape(), name);
                    assertArrayEquals(bits(a.get(name)), bits(b.get(name)), name);
                }
                if (config.tieWordEmbeddings()) {
                    assertTrue(loaded.weights().lmHead() == loaded.weights().embed(), "tied head must share the embedding");
                }
                TokenBatch batch = TokenBatch.forScoring(TinyModels.sequences(config.vocabSize(), 3, 7, 4));
                assertArrayEquals(new LlamaModel(saved).logProbs(batch, null),
                        new LlamaModel(loaded.weights()).logProbs(batch, null));
            }
        }
    }

    /** BF16 on disk: each weight loads as the bfloat16 value nearest to it (ties to even). */
    static void bf16LoadsBf16Values(FileSystem fs, Path dir, LlamaConfig config) throws IOException {
        try (LlamaWeights saved = TinyModels.weights(config, 23, DataType.FLOAT)) {
            ModelDirectory.save(fs, dir, HfConfig.fresh(config), saved, SaveOptions.of(SafetensorsDType.BF16), Map.of());
            try (ModelDirectory.Loaded loaded = ModelDirectory.load(fs, dir, DataType.FLOAT)) {
                assertEquals("bfloat16", loaded.config().torchDtype());
                for (var e : saved.named().entrySet()) {
                    float[] original = e.getValue().data().asFloat();
                    float[] back = loaded.weights().named().get(e.getKey()).data().asFloat();
                    for (int i = 0; i < original.length; i++) {
                        assertEquals(nearestBf16(original[i]), back[i], 0f, e.getKey() + "[" + i + "]");
                    }
                }
            }
        }
    }

    /**
     * The bfloat16 value nearest to {@code x}, found by comparing the two bfloat16 neighbours in
     * double precision: a reference independent of the bit trick the writer uses.
     */
    static float nearestBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        float down = Float.intBitsToFloat(bits & 0xffff0000);
        float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
        double dDown = Math.abs((double) x - down), dUp = Math.abs((double) up - x);
        if (dDown != dUp) {
            return dDown < dUp ? down : up;
        }
        return ((Float.floatToRawIntBits(down) >>> 16) & 1) == 0 ? down : up;
    }

    static void assertNoTemporaryLeft(FileSystem fs, Path parent) throws IOException {
        for (FileStatus s : fs.listStatus(parent)) {
            assertFalse(s.getPath().getName().contains(".tmp-"), "temporary left behind: " + s.getPath());
        }
    }

    static int[] bits(INDArray a) {
        float[] f = a.data().asFloat();
        return Arrays.stream(toBoxed(f)).mapToInt(Float::floatToRawIntBits).toArray();
    }

    private static Float[] toBoxed(float[] f) {
        Float[] out = new Float[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }
}
