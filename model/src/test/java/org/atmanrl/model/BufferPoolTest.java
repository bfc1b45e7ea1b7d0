package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reused buffers (docs/design.md 6.1, "Reused buffers") change no bit of any pass, even when every
 * array a pass takes holds the previous pass's values; every pass gives back all it took; and the
 * pool holds no more memory than the passes had in use at once.
 */
class BufferPoolTest {
    @BeforeEach
    void freshPool() {
        BufferPool.setMinSlackBytes(0); // these sizes are far below the floor: test the eighth itself
        BufferPool.setEnabled(true);
        BufferPool.discardParked();
        BufferPool.trim();
    }

    @AfterEach
    void restore() {
        BufferPool.setMinSlackBytes(BufferPool.MIN_SLACK_BYTES);
        BufferPool.setEnabled(true);
        BufferPool.discardParked();
        BufferPool.trim();
    }

    @Test
    void aGivenBackBufferIsHandedOutAgainAndNeverClosedTwice() throws Exception {
        inFreshThread(BufferPoolTest::reuse);
    }

    private static void reuse() {
        INDArray a = BufferPool.take(DataType.FLOAT, 3, 4);
        assertEquals('c', a.ordering());
        assertEquals(48, BufferPool.inUseBytes());
        Arrays2.release(a);
        Arrays2.release(a); // a second release must not close memory the pool now holds
        assertEquals(0, BufferPool.inUseBytes());
        assertEquals(48, BufferPool.freeBytes());
        INDArray b = BufferPool.take(DataType.FLOAT, 4, 3); // same type and length, another shape
        assertSame(a.data(), b.data(), "the freed buffer is reused");
        assertFalse(b.wasClosed());
        assertArrayEquals(new long[] {4, 3}, b.shape());
        INDArray c = BufferPool.take(DataType.DOUBLE, 3, 2); // same bytes, another type: a new buffer
        assertNotSame(b.data(), c.data());
        Arrays2.release(b, c);
    }

    @Test
    void aMissClosesTheOldestFreeBuffersSoThatThePoolNeverExceedsItsPeakInUse() throws Exception {
        inFreshThread(BufferPoolTest::eviction);
    }

    private static void eviction() {
        INDArray big = BufferPool.take(DataType.FLOAT, 1000);
        INDArray small = BufferPool.take(DataType.FLOAT, 10);
        Arrays2.release(big, small); // peak in use 4,040 bytes; now all free
        INDArray other = BufferPool.take(DataType.FLOAT, 600); // a miss: 2,400 new bytes need room
        assertEquals(2400, BufferPool.inUseBytes());
        assertEquals(40, BufferPool.freeBytes(), "the oldest free buffer (4,000 bytes) went, the small one fits");
        assertTrue(big.wasClosed(), "an evicted buffer's memory is released");
        assertFalse(small.wasClosed());
        Arrays2.release(other);
        INDArray again = BufferPool.take(DataType.FLOAT, 600);
        assertSame(other.data(), again.data());
        Arrays2.release(again);
    }

    @Test
    void aRequestTakesTheSmallestFreeBufferThatHoldsItWithinTheSlack() throws Exception {
        inFreshThread(BufferPoolTest::bestFit);
    }

    private static void bestFit() {
        INDArray large = BufferPool.take(DataType.FLOAT, 1000);
        INDArray medium = BufferPool.take(DataType.FLOAT, 990);
        Arrays2.release(large, medium); // peak asked 7,960 bytes: slack 995
        INDArray a = BufferPool.take(DataType.FLOAT, 7, 140); // 980: both hold it, the smaller is taken
        assertTrue(medium.data() == a.data(), "the smallest free buffer that holds 980 floats");
        assertArrayEquals(new long[] {7, 140}, a.shape());
        assertTrue(Arrays2.flatFromStart(a), "an array over the start of a longer buffer");
        INDArray b = BufferPool.take(DataType.FLOAT, 985); // 60 bytes more unused: 100 within 995
        assertTrue(large.data() == b.data(), "the larger buffer, within the slack");
        Arrays2.release(a, b);
        long allocations = BufferPool.allocations();
        INDArray c = BufferPool.take(DataType.FLOAT, 700); // would leave 1,160 bytes unused: a new buffer
        assertEquals(allocations + 1, BufferPool.allocations());
        assertTrue(medium.data() != c.data() && large.data() != c.data(), "a new buffer");
        Arrays2.release(c);
    }

    /**
     * A kept pass with phases of other shapes on top of it and after it, as a training step's GRPO
     * pass with the mask network's objective pass on top and its backward after: with room of an
     * eighth of the peak every cycle evicts and allocates again; with the floor above what the
     * phases keep free, the pool stops allocating after the first cycle.
     */
    @Test
    void phasesOfOtherShapesOnAKeptPassStopAllocatingWithTheFloor() throws Exception {
        inFreshThread(() -> {
            assertTrue(allocationsInLaterCycles() > 0, "sanity: an eighth is too little room here");
            BufferPool.setMinSlackBytes(1 << 20);
            BufferPool.trim();
            assertEquals(0, allocationsInLaterCycles(), "with a 1 MB floor");
        });
    }

    /**
     * Allocations in cycles 2-5 of: keep 400 KB; take ten 10 KB arrays on top and free them; take
     * one 120 KB array. The small ones cannot borrow the large buffer (it would leave more unused
     * than the slack allows), and at an eighth of the 520 KB peak the two sets do not fit side by
     * side, so each phase evicts the other's buffers.
     */
    private static long allocationsInLaterCycles() {
        long before = 0;
        for (int cycle = 0; cycle < 5; cycle++) {
            if (cycle == 1) before = BufferPool.allocations();
            List<INDArray> kept = new ArrayList<>();
            for (int i = 0; i < 4; i++) kept.add(BufferPool.take(DataType.FLOAT, 25_000));
            List<INDArray> onTop = new ArrayList<>();
            for (int i = 0; i < 10; i++) onTop.add(BufferPool.take(DataType.FLOAT, 2_500));
            onTop.forEach(Arrays2::release);
            Arrays2.release(BufferPool.take(DataType.FLOAT, 30_000));
            kept.forEach(Arrays2::release);
        }
        return BufferPool.allocations() - before;
    }

    /**
     * The bound, over random takes and releases: in use plus free never above the peak asked plus
     * its slack, an eighth of it (the floor set to 0, and to 16 KB, above an eighth of these peaks).
     */
    @ParameterizedTest
    @ValueSource(longs = {0, 16 << 10})
    void thePoolNeverHoldsMoreThanItsSlackAboveThePeakAsked(long floor) throws Exception {
        inFreshThread(() -> {
            BufferPool.setMinSlackBytes(floor);
            SplittableRandom random = new SplittableRandom(5);
            List<INDArray> held = new ArrayList<>();
            long asked = 0, peak = 0;
            for (int i = 0; i < 2000; i++) {
                if (held.isEmpty() || random.nextInt(3) > 0 && held.size() < 12) {
                    long n = 1 + random.nextInt(random.nextBoolean() ? 64 : 4096);
                    held.add(BufferPool.take(DataType.FLOAT, n));
                    asked += 4 * n;
                    peak = Math.max(peak, asked);
                } else {
                    INDArray gone = held.remove(random.nextInt(held.size()));
                    asked -= 4 * gone.length();
                    Arrays2.release(gone);
                }
                assertEquals(peak, BufferPool.peakAskedBytes());
                long held0 = BufferPool.inUseBytes() + BufferPool.freeBytes();
                assertTrue(held0 <= peak + Math.max(BufferPool.SLACK * peak, floor), "step " + i
                        + ": the pool holds " + held0 + " bytes, peak asked " + peak);
            }
            held.forEach(Arrays2::release);
            assertTrue(BufferPool.allocations() < 1000, "the pool reused buffers: " + BufferPool.allocations()
                    + " allocations for about 1,300 takes");
        });
    }

    /**
     * Rows whose lengths change from pass to pass: the shorter pass runs on the longer one's buffers
     * (arrays over the start of longer buffers) and gives the same bits as without the pool.
     */
    @Test
    void aShorterPassOnALongerPassesBuffersIsTheSameBits() throws Exception {
        inFreshThread(() -> {
            for (LlamaConfig c : TinyModels.all(0.3)) {
                LlamaWeights w = TinyModels.weights(c, 74, DataType.FLOAT);
                int[] longer = RecomputedProbabilitiesTest.LENGTHS.clone();
                for (int i = 0; i < longer.length; i++) longer[i] += 1;
                TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 75, RecomputedProbabilitiesTest.LENGTHS));
                TokenBatch tbLonger = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 76, longer));
                for (Attention.Kept kept : new Attention.Kept[] {Attention.Kept.ALL, Attention.Kept.NONE}) {
                    LlamaModel model = RecomputedProbabilitiesTest.model(w, null, kept);
                    String what = c + " " + kept;
                    BufferPool.setEnabled(false);
                    Map<String, double[]> fresh = RecomputedProbabilitiesTest.gradients(model, tb, null, null,
                            RecomputedProbabilitiesTest.cellWeights(tb), true);
                    BufferPool.setEnabled(true);
                    BufferPool.trim();
                    RecomputedProbabilitiesTest.gradients(model, tbLonger, null, null,
                            RecomputedProbabilitiesTest.cellWeights(tbLonger), true);
                    long allocations = BufferPool.allocations();
                    Map<String, double[]> pooled = RecomputedProbabilitiesTest.gradients(model, tb, null, null,
                            RecomputedProbabilitiesTest.cellWeights(tb), true);
                    assertEquals(0, BufferPool.inUseBytes(), what + ": the pass gave back every array it took");
                    assertTrue(BufferPool.allocations() - allocations < 3, what + ": the shorter pass allocated "
                            + (BufferPool.allocations() - allocations) + " buffers instead of reusing the longer one's");
                    RecomputedProbabilitiesTest.assertSameBits(fresh, pooled, what + ", on longer buffers");
                }
            }
        });
    }

    @Test
    void trainingPassesAreTheSameBitsWithoutThePoolAndOnReusedBuffers() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (LlamaConfig c : TinyModels.all(0.3)) {
                LlamaWeights w = TinyModels.weights(c, 61, dt);
                TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 62, RecomputedProbabilitiesTest.LENGTHS));
                INDArray bias = TinyModels.gaussian(dt, 63, 1.5, tb.batch(), tb.length());
                double[] weights = RecomputedProbabilitiesTest.cellWeights(tb);
                for (Attention.Kept kept : new Attention.Kept[] {Attention.Kept.ALL, Attention.Kept.NONE}) {
                    LlamaModel model = RecomputedProbabilitiesTest.model(w, null, kept);
                    String what = c + " " + dt + " " + kept;
                    assertSameWithoutAndAgain(() -> RecomputedProbabilitiesTest.gradients(model, tb, bias, null, weights,
                            true), what);
                }
            }
        }
    }

    /** A pass's shapes repeat: the second of two identical training passes allocates nothing. */
    @Test
    void aRepeatedTrainingPassTakesEveryArrayFromThePool() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaWeights w = TinyModels.weights(c, 72, DataType.FLOAT);
        TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 73, RecomputedProbabilitiesTest.LENGTHS));
        double[] weights = RecomputedProbabilitiesTest.cellWeights(tb);
        for (Attention.Kept kept : new Attention.Kept[] {Attention.Kept.ALL, Attention.Kept.NONE}) {
            LlamaModel model = RecomputedProbabilitiesTest.model(w, null, kept);
            RecomputedProbabilitiesTest.gradients(model, tb, null, null, weights, true);
            long first = BufferPool.allocations();
            RecomputedProbabilitiesTest.gradients(model, tb, null, null, weights, true);
            assertEquals(first, BufferPool.allocations(), kept + ": the second pass allocated new buffers");
            model.logProbs(tb, null);
            assertEquals(first, BufferPool.allocations(), kept + ": a forward pass after it allocated new buffers");
        }
    }

    /**
     * Spark runs each task on any of its pooled threads: a pool parked at one task's end serves the
     * next task on another thread, which then allocates nothing; a pool that still lends an array is
     * not parked.
     */
    @Test
    void aParkedPoolServesTheNextTaskOnAnotherThread() throws Exception {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaWeights w = TinyModels.weights(c, 72, DataType.FLOAT);
        TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 73, RecomputedProbabilitiesTest.LENGTHS));
        double[] weights = RecomputedProbabilitiesTest.cellWeights(tb);
        LlamaModel model = RecomputedProbabilitiesTest.model(w, null, Attention.Kept.ALL);
        long[] allocated = new long[2];
        Map<String, double[]>[] values = new Map[2];
        for (int task = 0; task < 2; task++) {
            int k = task;
            inFreshThread(() -> {
                long before = BufferPool.allocations(); // of the pool this thread was given
                values[k] = RecomputedProbabilitiesTest.gradients(model, tb, null, null, weights, true);
                allocated[k] = BufferPool.allocations() - before;
                BufferPool.park();
            });
        }
        assertTrue(allocated[0] > 0, "the first task filled its pool");
        assertEquals(0, allocated[1], "the second task, on another thread, allocated new buffers");
        RecomputedProbabilitiesTest.assertSameBits(values[0], values[1], "the second task on the first's buffers");
        BufferPool.discardParked();
        inFreshThread(() -> {
            BufferPool.take(DataType.FLOAT, 10);
            BufferPool.park(); // a task that failed mid-pass, its array never given back: the pool is dropped
            assertEquals(0, BufferPool.allocations(), "a new, empty pool");
        });
    }

    @Test
    void adapterPassesAndPrefixedPassesAreTheSameBits() {
        RecomputedProbabilitiesTest.AdapterCase a = RecomputedProbabilitiesTest.AdapterCase.of(64);
        LlamaWeights w = a.w();
        TokenBatch tb = a.tb();
        INDArray bias = a.bias();
        double[] weights = RecomputedProbabilitiesTest.cellWeights(tb);
        LlamaModel adapted = RecomputedProbabilitiesTest.model(w, a.ad(), Attention.Kept.BY_SIZE);
        assertSameWithoutAndAgain(() -> RecomputedProbabilitiesTest.gradients(adapted, tb, bias, null, weights, true), "LoRA");

        LlamaModel model = new LlamaModel(w);
        INDArray prefixBias = PromptPrefixTest.biasAfterPrefix(tb);
        double[] prefixWeights = PromptPrefixTest.weightsAfterPrefix(tb);
        assertSameWithoutAndAgain(() -> {
            try (PromptPrefix prefix = model.prefix(tb, PromptPrefixTest.PREFIX)) {
                Map<String, double[]> out = RecomputedProbabilitiesTest.gradients(model, tb, prefixBias, prefix,
                        prefixWeights, false);
                out.put("prefixedLogProbs", model.logProbs(tb, prefixBias, prefix));
                return out;
            }
        }, "after a prefix");
    }

    @Test
    void samplingAndScoringAreTheSameBits() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaModel model = new LlamaModel(TinyModels.weights(c, 68, DataType.FLOAT));
            List<int[]> prompts = TinyModels.sequences(c.vocabSize(), 69, 5, 3, 7);
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 70, RecomputedProbabilitiesTest.LENGTHS));
            assertSameWithoutAndAgain(() -> {
                Map<String, double[]> out = new TreeMap<>();
                for (int batch : new int[] {1, 3}) { // batch 1 decodes through DecodeStep, 3 through the pass
                    List<int[]> rows = new ArrayList<>(prompts.subList(0, batch));
                    long[] keys = new long[batch];
                    for (int i = 0; i < batch; i++) keys[i] = i;
                    List<int[]> got = Sampler.generate(model, rows, keys, 71, new SamplingParams(1.0, 0.9, 20, 9, null));
                    for (int i = 0; i < batch; i++) {
                        out.put("generated " + batch + "/" + i, java.util.Arrays.stream(got.get(i)).asDoubleStream().toArray());
                    }
                }
                out.put("logProbs", model.logProbs(tb, null));
                try (INDArray logits = model.logits(tb, null)) {
                    out.put("logits", logits.data().asDouble());
                }
                return out;
            }, c.toString());
        }
    }

    /** Runs {@code check} on a new thread, whose pool is new: no peak or buffers from other tests. */
    private static void inFreshThread(Runnable check) throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                check.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.start();
        t.join();
        if (failure[0] instanceof Error e) throw e;
        if (failure[0] != null) throw new AssertionError(failure[0]);
    }

    private interface Run {
        Map<String, double[]> values();
    }

    /**
     * {@code run} without the pool, then twice with it: the second time every array it takes held the
     * first time's values. All three must agree bit for bit, and each pooled run give back all it took.
     */
    private static void assertSameWithoutAndAgain(Run run, String what) {
        BufferPool.setEnabled(false);
        Map<String, double[]> fresh = run.values();
        BufferPool.setEnabled(true);
        BufferPool.trim();
        Map<String, double[]> first = run.values();
        assertEquals(0, BufferPool.inUseBytes(), what + ": the pass gave back every array it took");
        assertTrue(BufferPool.freeBytes() > 0, what + ": the pass took arrays from the pool");
        Map<String, double[]> reused = run.values();
        assertEquals(0, BufferPool.inUseBytes(), what + ": the second pass gave back every array it took");
        RecomputedProbabilitiesTest.assertSameBits(fresh, first, what + ", pooled");
        RecomputedProbabilitiesTest.assertSameBits(fresh, reused, what + ", on reused buffers");
    }
}
