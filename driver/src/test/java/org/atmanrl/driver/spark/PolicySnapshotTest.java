package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.WeightStorage;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A snapshot for executors that store the policy in bf16 (docs/design.md 3.4, "bf16 storage")
 * carries the matrices rounded on the driver, and gives those executors exactly the bytes the fp32
 * snapshot gave them when they rounded it themselves.
 */
class PolicySnapshotTest {
    /** Untied, so that lm_head travels too; two layers, so every kind of tensor appears more than once. */
    static final LlamaConfig CONFIG = LlamaConfig.of(96, 32, 48, 2, 4, 2, null, null, false);

    /** fp32 masters with values of many magnitudes, as trained weights have, not only the initial 0.02 scale. */
    static LlamaWeights masters() {
        LlamaWeights w = LlamaWeights.random(CONFIG, 11, DataType.FLOAT);
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (INDArray a : w.named().values()) {
            for (long i = 0; i < a.length(); i++) a.putScalar(i, a.getFloat(i) * (float) Math.exp(r.nextDouble(-8, 8)));
        }
        return w;
    }

    static void assertSameBytes(LlamaWeights expected, LlamaWeights actual) {
        Map<String, INDArray> a = expected.named(), b = actual.named();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertEquals(a.get(name).dataType(), b.get(name).dataType(), name);
            assertArrayEquals(a.get(name).data().asBytes(), b.get(name).data().asBytes(), name);
        }
    }

    @Test
    void aBf16SnapshotGivesABf16ModelTheBytesTheFp32SnapshotGaveIt() {
        try (LlamaWeights w = masters(); LlamaWeights other = LlamaWeights.random(CONFIG, 3, DataType.FLOAT);
             LlamaWeights viaFloats = other.bf16Copy(); LlamaWeights viaBf16 = other.bf16Copy();
             LlamaWeights stored = w.bf16Copy()) {
            PolicySnapshot floats = PolicySnapshot.of(4, w);
            PolicySnapshot bf16 = PolicySnapshot.of(4, w, WeightStorage.BF16);
            floats.copyInto(viaFloats); // today's path: the executor rounds
            bf16.copyInto(viaBf16); // rounded on the driver: copied as they are
            assertSameBytes(viaFloats, viaBf16);
            assertSameBytes(stored, viaBf16);
            // it narrows exactly what bf16 storage narrows: the matrices, not the norms
            Map<String, INDArray> kept = stored.named();
            for (int i = 0; i < bf16.size(); i++) {
                boolean narrow = kept.get(bf16.name(i)).dataType() == DataType.BFLOAT16;
                assertEquals(narrow, bf16.bf16Values(i) != null, bf16.name(i));
                assertEquals(narrow, bf16.floatValues(i) == null, bf16.name(i));
            }
            assertEquals(2 * 2 + 1, java.util.stream.IntStream.range(0, bf16.size())
                    .filter(i -> bf16.floatValues(i) != null).count(), "two norms a layer and the final one");
            // the first snapshot builds the executor's model (ExecutorModels): the same bytes too
            try (LlamaWeights built = WeightStorage.BF16.store(bf16.toWeights(CONFIG, DataType.FLOAT))) {
                assertSameBytes(stored, built);
            }
            // an fp32 model receives the bf16 values widened, exactly
            try (LlamaWeights wide = LlamaWeights.random(CONFIG, 3, DataType.FLOAT);
                 LlamaWeights expected = stored.copy(DataType.FLOAT)) {
                bf16.copyInto(wide);
                assertSameBytes(expected, wide);
            }
        }
    }

    @Test
    void f32StorageKeepsEveryTensorAsFloats() {
        try (LlamaWeights w = masters()) {
            PolicySnapshot s = PolicySnapshot.of(1, w, WeightStorage.F32);
            PolicySnapshot t = PolicySnapshot.of(1, w);
            for (int i = 0; i < s.size(); i++) {
                assertNull(s.bf16Values(i), s.name(i));
                assertArrayEquals(t.floatValues(i), s.floatValues(i), s.name(i));
            }
        }
    }
}
