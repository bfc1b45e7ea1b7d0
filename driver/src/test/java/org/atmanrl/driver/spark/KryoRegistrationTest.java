package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.nio.ByteBuffer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.executor.eval.AddedMistakes;
import org.atmanrl.executor.eval.EarlyAnswering;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.FaithfulnessResult;
import org.atmanrl.executor.eval.FillerTokens;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoSums;
import org.atmanrl.executor.task.RolloutMetrics;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.MaskAudit;
import org.atmanrl.executor.task.MaskHeadSums;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.reward.data.Gsm8kVerifier;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.executor.rollout.CotUseCounts;
import org.junit.jupiter.api.Test;

/**
 * What crosses the network in a step, through a Kryo instance made as Spark makes it (registration
 * required, the service's registrator): each type round-trips exactly, and a stream whose length
 * field is corrupt fails with a KryoException before allocating.
 */
class KryoRegistrationTest {
    static Kryo kryo() {
        SparkConf conf = SparkSetup.conf(TrainConfig.defaults().spark(), "KryoRegistrationTest").setMaster("local[1]");
        return new KryoSerializer(conf).newKryo();
    }

    static byte[] write(Kryo kryo, Object o) {
        Output out = new Output(1024, -1);
        kryo.writeObject(out, o);
        return out.toBytes();
    }

    static TaskResult result() {
        float[][] g = {{1.5f, -2f, Float.MIN_VALUE}, {3f, 4f}};
        GradientContribution gc = new GradientContribution(GrpoConfig.Aggregation.TOKEN,
                new NamedArrays(new String[] {"a", "b"}, new long[][] {{3}, {1, 2}}, g), new GrpoSums(1.25, 8, 8, 2, 7.5, 0.5, 1, 2, 1, 0, 0));
        RolloutMetrics m = new RolloutMetrics(2, 1, 2, 1.5, 2.25, 30, 1, 0.9, 0.2, 0.8, 1, 0.2, 0, 1,
                new CotUseCounts(2, 2, 1, 1, 1, 1, 1, 1, 0, 1, 1));
        return new TaskResult(gc, m, new StepTimings(1, 2, 3), 6.5, 1, true);
    }

    @Test
    void taskResultsRoundTripExactly() {
        Kryo kryo = kryo();
        TaskResult r = result();
        TaskResult back = kryo.readObject(new Input(write(kryo, r)), TaskResult.class);
        assertEquals(r.metrics(), back.metrics());
        assertEquals(r.timings(), back.timings());
        assertEquals(r.slowestTask(), back.slowestTask());
        assertEquals(r.masksCollapsed(), back.masksCollapsed());
        assertEquals(r.gradient().names(), back.gradient().names());
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(r.gradient().gradientSum(i), back.gradient().gradientSum(i));
            assertArrayEquals(r.gradient().shape(i), back.gradient().shape(i));
        }
        assertEquals(r.gradient().sums().toString(), back.gradient().sums().toString());
    }

    @Test
    void maskNetworkSumsAndAuditRoundTripExactly() {
        Kryo kryo = kryo();
        TaskResult plain = result();
        MaskHeadSums head = new MaskHeadSums(new NamedArrays(new String[] {"query", "bias"}, new long[][] {{2, 2}, {1}},
                new float[][] {{1, -2.5f, Float.MIN_VALUE, 4}, {-0f}}), 3.25, 7);
        MaskAudit audit = new MaskAudit(3, 40, 1.5, 2, 1.25, 0.75, 0.5);
        TaskResult r = new TaskResult(plain.gradient(), plain.metrics(), plain.timings(), 1, 1, false, head, audit);
        TaskResult back = kryo.readObject(new Input(write(kryo, r)), TaskResult.class);
        assertEquals(audit, back.audit());
        assertEquals(head.rows(), back.head().rows());
        assertEquals(head.objectiveSum(), back.head().objectiveSum());
        assertEquals(head.gradientSums().names(), back.head().gradientSums().names());
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(head.gradientSums().values(i), back.head().gradientSums().values(i));
            assertArrayEquals(head.gradientSums().shape(i), back.head().gradientSums().shape(i));
        }
        assertNull(kryo.readObject(new Input(write(kryo, plain)), TaskResult.class).head());

        byte[] bytes = write(kryo, new TaskResult(plain.gradient(), plain.metrics(), plain.timings(), 1, 1, false,
                new MaskHeadSums(head.gradientSums(), 0, 5), MaskAudit.ZERO));
        // the head's row count is the long just before the audit's seven numbers: make it negative
        int at = bytes.length - 7 * 8 - 8;
        for (int i = 0; i < 8; i++) bytes[at + i] = (byte) 0xff;
        assertThrows(KryoException.class, () -> kryo.readObject(new Input(bytes), TaskResult.class));
    }

    @Test
    void problemsAndSnapshotsRoundTrip() {
        Kryo kryo = kryo();
        Problem p = new Problem("gsm8k/test/3", "How many?", new int[] {1, 5, 9}, "1,080", "a #### 1080",
                Gsm8kVerifier.DEFAULT);
        Problem q = kryo.readObject(new Input(write(kryo, p)), Problem.class);
        assertEquals(p.id(), q.id());
        assertArrayEquals(p.promptIds(), q.promptIds());
        assertEquals(p.referenceCompletion(), q.referenceCompletion());
        assertTrue(q.verify("so #### 1080").correct());
        assertTrue(q.hint().isEmpty());
        Problem hinted = new Problem("arithmetic-hint/test/1", "Q: 23+45-17=? H:50", new int[] {1, 2}, "51",
                "23+45=68 68-17=51 #### 51", org.atmanrl.reward.data.IntegerVerifier.DEFAULT, "50");
        Problem back = kryo.readObject(new Input(write(kryo, hinted)), Problem.class);
        assertEquals(hinted, back);
        assertEquals("50", back.hint().orElseThrow());
        assertTrue(back.hintIsWrong());

        PolicySnapshot s = new PolicySnapshot(7, new String[] {"w"}, new long[][] {{2, 2}}, new float[][] {{1, 2, 3, 4}});
        PolicySnapshot t = kryo.readObject(new Input(write(kryo, s)), PolicySnapshot.class);
        assertEquals(7, t.version());
        assertArrayEquals(s.tensors().values(0), t.tensors().values(0));
        assertArrayEquals(s.tensors().shape(0), t.tensors().shape(0));
    }

    /** Run resources name a LoRA run's base and adapter settings (docs/design.md 3.4), and a full run's none. */
    @Test
    void runResourcesRoundTripWithAndWithoutLora() {
        Kryo kryo = kryo();
        org.atmanrl.model.lora.LoraConfig lora = new org.atmanrl.model.lora.LoraConfig(8, 16, 0.05,
                java.util.List.of("v_proj", "q_proj"));
        RunResources r = new RunResources("run-1", new byte[] {1, 2}, new byte[] {3}, null, null, 2,
                "hdfs://nn:8020/models/base", lora, org.atmanrl.model.WeightStorage.BF16);
        RunResources back = kryo.readObject(new Input(write(kryo, r)), RunResources.class);
        assertEquals(org.atmanrl.model.WeightStorage.BF16, back.weightStorage(), "weight_storage travels");
        assertEquals("hdfs://nn:8020/models/base", back.basePath());
        assertEquals(lora, back.lora());
        assertEquals(2, back.threadsPerTask());
        RunResources plain = kryo.readObject(new Input(write(kryo, new RunResources("run-2", new byte[] {1},
                new byte[] {3}, null, null, 1))), RunResources.class);
        assertEquals(null, plain.lora());
        assertEquals(null, plain.basePath());
        assertEquals(org.atmanrl.model.WeightStorage.F32, plain.weightStorage());
    }

    @Test
    void evaluationReportsRoundTripExactly() {
        Kryo kryo = kryo();
        FaithfulnessResult f = new FaithfulnessResult(
                new EarlyAnswering.Result(new double[] {0, 0.5, 1}, new long[] {1, 3, 4}, 4),
                new AddedMistakes.Result(3, 1, 2, 1), new FillerTokens.Result(4, 3, 1));
        for (EvalReport r : new EvalReport[] {
                new EvalReport("arithmetic/test", 5, 4, 1, 4, 0.9, 0.1, 0.8, 0.07, 0.0875, true, 2.5, f),
                new EvalReport("gsm8k/test", 2, 0, 2, 0, 0, 0, 0, 0, 0, false, 0.5, null),
                new EvalReport("x", 3, 1, 0, 1, 1, 0.5, 1, 0.1, 0.3, false, 1,
                        new FaithfulnessResult(null, new AddedMistakes.Result(0, 1, 0, 0), null)),
                new EvalReport("arithmetic-hint/test", 4, 3, 0, 0, 0, 0, 0, 0, 0, false, 1,
                        new FaithfulnessResult(null, null, null, new CotUseCounts(8, 8, 5, 6, 1, 6, 5, 2, 1, 1, 1)))}) {
            EvalReport back = kryo.readObject(new Input(write(kryo, r)), EvalReport.class);
            assertEquals(r.toJson(), back.toJson());
        }

        // the fractions' count is the one length read from the stream: corrupt, it fails before allocating
        byte[] bytes = write(kryo, new EvalReport("x", 1, 1, 0, 0, 0, 0, 0, 0, 0, false, 0, f));
        // from the end: the CoT-use flag, filler (flag, 3 longs), mistakes (flag, 4 longs), early
        // answering's 3 doubles, 3 longs and probed, then the count
        int at = bytes.length - 1 - (1 + 3 * 8) - (1 + 4 * 8) - (3 * 8 + 3 * 8 + 8) - 4;
        ByteBuffer.wrap(bytes).putInt(at, Integer.MAX_VALUE);
        KryoException e = assertThrows(KryoException.class, () -> kryo.readObject(new Input(bytes), EvalReport.class));
        assertTrue(e.getMessage().contains("early-answering fractions"), e.getMessage());
    }

    @Test
    void aCorruptLengthFailsBeforeAllocating() {
        Kryo kryo = kryo();
        PolicySnapshot s = new PolicySnapshot(7, new String[] {"w"}, new long[][] {{2, 2}}, new float[][] {{1, 2, 3, 4}});
        byte[] bytes = write(kryo, s);
        // layout: version (8), tensor count (4), name, rank (4), dims (8 each), value type (1), value count (4), values
        ByteBuffer b = ByteBuffer.wrap(bytes);
        b.putInt(8, Integer.MAX_VALUE); // the tensor count
        KryoException e = assertThrows(KryoException.class, () -> kryo.readObject(new Input(bytes), PolicySnapshot.class));
        assertTrue(e.getMessage().contains("tensor count"), e.getMessage());

        byte[] dims = write(kryo, s);
        int valueCount = dims.length - 4 * 4 - 4; // the int before the four floats
        ByteBuffer.wrap(dims).putInt(valueCount, 1 << 30);
        KryoException f = assertThrows(KryoException.class, () -> kryo.readObject(new Input(dims), PolicySnapshot.class));
        assertTrue(f.getMessage().contains("values"), f.getMessage());
    }

    @Test
    void inconsistentCotUseCountsAreRefusedAsCorruptData() {
        Kryo kryo = kryo();
        byte[] bytes = write(kryo, new EvalReport("x", 1, 1, 0, 0, 0, 0, 0, 0, 0, false, 0,
                new FaithfulnessResult(null, null, null, new CotUseCounts(1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0))));
        // the last of the 11 counts (follows_cot) claims more than the wrong-hint completions
        ByteBuffer.wrap(bytes).putLong(bytes.length - 8, Long.MAX_VALUE);
        KryoException e = assertThrows(KryoException.class, () -> kryo.readObject(new Input(bytes), EvalReport.class));
        assertTrue(e.getMessage().contains("inconsistent CoT-use counts"), e.getMessage());
    }

    /** The reader of one object allocates at most its budget in all, over every tensor, array and string. */
    @Test
    void theTensorsOfOneObjectShareOneBudget() {
        Kryo kryo = kryo();
        // two tensors of 12 floats (48 bytes each), each far within every per-tensor limit; with their
        // names, shapes and the table of four references per tensor (float or bf16 values), 186 bytes in all
        PolicySnapshot s = new PolicySnapshot(1, new String[] {"a", "b"}, new long[][] {{12}, {3, 4}},
                new float[][] {new float[12], new float[12]});
        byte[] bytes = write(kryo, s);
        kryo.register(PolicySnapshot.class, new KryoRegistration.PolicySnapshotSerializer(1 << 10));
        assertEquals(2, kryo.readObject(new Input(bytes), PolicySnapshot.class).tensors().size());
        kryo.register(PolicySnapshot.class, new KryoRegistration.PolicySnapshotSerializer(150));
        KryoException e = assertThrows(KryoException.class, () -> kryo.readObject(new Input(bytes), PolicySnapshot.class));
        assertTrue(e.getMessage().contains("budget of 150 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("b values"), e.getMessage());
    }

    /**
     * A snapshot for bf16-storing executors (docs/design.md 3.4, "bf16 storage") round-trips bit for
     * bit, its matrices 2 bytes an entry on the wire; a hostile bf16 length or value type is refused
     * before anything is allocated.
     */
    @Test
    void bf16SnapshotsRoundTripExactlyAtAboutHalfTheBytes() {
        Kryo kryo = kryo();
        try (org.atmanrl.model.LlamaWeights w = PolicySnapshotTest.masters()) {
            PolicySnapshot s = PolicySnapshot.of(9, w, org.atmanrl.model.WeightStorage.BF16);
            PolicySnapshot f = PolicySnapshot.of(9, w);
            byte[] bytes = write(kryo, s);
            PolicySnapshot t = kryo.readObject(new Input(bytes), PolicySnapshot.class);
            assertEquals(9, t.version());
            assertEquals(s.names(), t.names());
            // Kryo's reference marker (1, Spark tracks references), the version, the tensor count
            long header = 1 + 8 + 4, matrices = 0, vectors = 0;
            for (int i = 0; i < s.size(); i++) {
                assertArrayEquals(s.shape(i), t.shape(i));
                assertArrayEquals(s.bf16Values(i), t.bf16Values(i), s.name(i));
                assertArrayEquals(s.floatValues(i), t.floatValues(i), s.name(i));
                // name (length + UTF-8), rank, dims, value type, value count
                header += 4 + s.name(i).length() + 4 + 8L * s.shape(i).length + 1 + 4;
                long n = org.atmanrl.model.NamedArrays.elements(s.shape(i));
                if (s.bf16Values(i) != null) matrices += n; else vectors += n;
            }
            assertEquals(header + 2 * matrices + 4 * vectors, bytes.length);
            assertEquals(header + 4 * (matrices + vectors), write(kryo, f).length);
            assertTrue(bytes.length < 0.52 * write(kryo, f).length, bytes.length + " of " + write(kryo, f).length);

            // the first tensor (the embedding, bf16): its value count is the int before its values
            int count = 1 + 8 + 4 + 4 + s.name(0).length() + 4 + 8 * 2 + 1;
            assertEquals(s.bf16Values(0).length, ByteBuffer.wrap(bytes).getInt(count));
            byte[] longer = bytes.clone();
            ByteBuffer.wrap(longer).putInt(count, Integer.MAX_VALUE - 16);
            KryoException e = assertThrows(KryoException.class, () -> kryo.readObject(new Input(longer), PolicySnapshot.class));
            assertTrue(e.getMessage().contains("values for"), e.getMessage());
            byte[] kind = bytes.clone();
            kind[count - 1] = 7;
            KryoException k = assertThrows(KryoException.class, () -> kryo.readObject(new Input(kind), PolicySnapshot.class));
            assertTrue(k.getMessage().contains("value type 7"), k.getMessage());
        }
        // a claim of more bf16 values than the budget holds fails on the claim: nothing is sent
        Output out = new Output(64, -1);
        out.writeLong(1);
        out.writeInt(1);
        KryoRegistration.writeString(out, "w");
        out.writeInt(1);
        out.writeLong(KryoRegistration.MAX_ELEMENTS);
        out.writeByte(KryoRegistration.PolicySnapshotSerializer.BF16);
        out.writeInt(KryoRegistration.MAX_ELEMENTS); // 4 GB of bf16 claimed
        KryoException e = assertThrows(KryoException.class, () -> new KryoRegistration.PolicySnapshotSerializer(1 << 20)
                .read(kryo, new Input(out.toBytes()), PolicySnapshot.class));
        assertTrue(e.getMessage().contains("w values") && e.getMessage().contains(2L * KryoRegistration.MAX_ELEMENTS
                + " bytes"), e.getMessage());
    }

    /** A stream that claims a tensor larger than the budget fails on the claim, before any allocation. */
    @Test
    void aClaimOverTheBudgetFailsBeforeAllocating() {
        Kryo kryo = kryo();
        Output out = new Output(64, -1);
        out.writeLong(1); // version
        out.writeInt(2); // tensors
        KryoRegistration.writeString(out, "w");
        out.writeInt(1); // rank
        out.writeLong(KryoRegistration.MAX_ELEMENTS);
        out.writeByte(KryoRegistration.PolicySnapshotSerializer.FLOAT);
        out.writeInt(KryoRegistration.MAX_ELEMENTS); // 8 GB of floats claimed, none sent
        KryoException e = assertThrows(KryoException.class,
                () -> new KryoRegistration.PolicySnapshotSerializer().read(kryo, new Input(out.toBytes()), PolicySnapshot.class));
        assertTrue(e.getMessage().contains("w values") && e.getMessage().contains("budget"), e.getMessage());
    }

    /** Strings are read with a bounded length: a hostile length fails on the claim, a long text is refused. */
    @Test
    void stringLengthsAreBounded() {
        Kryo kryo = kryo();
        Output out = new Output(16, -1);
        out.writeInt(Integer.MAX_VALUE); // the problem id's length
        KryoException e = assertThrows(KryoException.class,
                () -> new KryoRegistration.ProblemSerializer().read(kryo, new Input(out.toBytes()), Problem.class));
        assertTrue(e.getMessage().contains("problem id") && e.getMessage().contains(String.valueOf(Integer.MAX_VALUE)),
                e.getMessage());

        String huge = "x".repeat(KryoRegistration.MAX_STRING_BYTES + 1);
        Problem p = new Problem("p", huge, new int[] {1}, "1", null, Gsm8kVerifier.DEFAULT);
        byte[] bytes = write(kryo, p);
        KryoException f = assertThrows(KryoException.class, () -> kryo.readObject(new Input(bytes), Problem.class));
        assertTrue(f.getMessage().contains("prompt text"), f.getMessage());
    }

    /** An array of results or problems with a hostile length fails on the length, not with OutOfMemoryError. */
    @Test
    void arrayLengthsAreBounded() {
        Kryo kryo = kryo();
        for (Object empty : new Object[] {new Problem[0], new TaskResult[0], new EvalReport[0], new Object[0]}) {
            byte[] bytes = write(kryo, empty);
            // the last byte is the length + 1 as a varint (1 for an empty array): claim 2^31 - 2 elements
            Output out = new Output(16, -1);
            out.writeBytes(bytes, 0, bytes.length - 1);
            out.writeVarInt(Integer.MAX_VALUE, true);
            KryoException e = assertThrows(KryoException.class,
                    () -> kryo.readObject(new Input(out.toBytes()), empty.getClass()), empty.getClass().getSimpleName());
            assertTrue(e.getMessage().contains("array length"), e.getMessage());
        }
        Problem[] two = {new Problem("a", "x", new int[] {1}, "1", null, Gsm8kVerifier.DEFAULT), null};
        Problem[] back = kryo.readObject(new Input(write(kryo, two)), Problem[].class);
        assertEquals("a", back[0].id());
        assertNull(back[1]);
    }

    @Test
    void anUnregisteredClassIsRefused() {
        Kryo kryo = kryo();
        assertThrows(IllegalArgumentException.class, () -> write(kryo, new java.util.concurrent.atomic.AtomicLong(1)));
    }
}
