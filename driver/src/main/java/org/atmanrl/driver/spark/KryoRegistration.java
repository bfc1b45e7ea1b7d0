package org.atmanrl.driver.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.serializer.KryoRegistrator;
import org.atmanrl.executor.eval.AddedMistakes;
import org.atmanrl.executor.eval.EarlyAnswering;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.executor.eval.FaithfulnessResult;
import org.atmanrl.executor.eval.FillerTokens;
import org.atmanrl.executor.grpo.GradientContribution;
import org.atmanrl.executor.grpo.GrpoConfig;
import org.atmanrl.executor.grpo.GrpoSums;
import org.atmanrl.executor.task.MaskAudit;
import org.atmanrl.executor.task.MaskHeadSums;
import org.atmanrl.executor.task.RolloutMetrics;
import org.atmanrl.executor.task.StepTimings;
import org.atmanrl.executor.task.TaskResult;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.reward.data.Gsm8kVerifier;
import org.atmanrl.reward.data.IntegerVerifier;
import org.atmanrl.reward.data.MultipleChoiceVerifier;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.executor.rollout.CotUseCounts;
import org.atmanrl.reward.data.Verifier;

/**
 * Every class the training service sends through Spark's serializer, registered with Kryo
 * ({@code spark.kryo.registrationRequired=true}, so an unregistered class is an error, not a
 * silent fallback). The service's own types have hand-written serializers: they write plain
 * fields, and on reading check every length against a limit before allocating, so a corrupt or
 * hostile stream fails with an error instead of exhausting memory: each array, string and array
 * of objects has a length limit, and everything one object allocates is charged to one budget
 * ({@link Budget}), so many lengths within their limits cannot add up to more. Nothing is
 * Java-serialized.
 */
public final class KryoRegistration implements KryoRegistrator {
    /** Limits on what a stream may ask to allocate. */
    static final int MAX_TENSORS = 1 << 16;
    static final int MAX_RANK = 8;
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 16;
    static final int MAX_BYTES = 256 << 20;
    static final int MAX_PROMPT_TOKENS = 1 << 20;
    static final int MAX_FRACTIONS = 1 << 10;
    /** One string's UTF-8 bytes: a prompt of {@link #MAX_PROMPT_TOKENS} tokens is a few MB. */
    static final int MAX_STRING_BYTES = 1 << 24;
    /** Elements of one array of problems or results (one partition's). */
    static final int MAX_ARRAY_LENGTH = 1 << 24;
    /**
     * What one policy snapshot, task result or run's resources may allocate in all: 64 GiB (a model
     * of 16G parameters) or this JVM's heap, whichever is less (a larger object could never fit).
     */
    static final long MAX_OBJECT_BYTES = Math.min(64L << 30, Runtime.getRuntime().maxMemory());
    /** What one problem or evaluation report may allocate in all: its texts and prompt tokens. */
    static final long MAX_SMALL_OBJECT_BYTES = 64L << 20;

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(PolicySnapshot.class, new PolicySnapshotSerializer());
        kryo.register(RunResources.class, new RunResourcesSerializer());
        kryo.register(TaskResult.class, new TaskResultSerializer());
        kryo.register(Problem.class, new ProblemSerializer());
        kryo.register(EvalReport.class, new EvalReportSerializer());
        kryo.register(EvalReport[].class, new BoundedArraySerializer());
        // Verifiers hold only their delimiter (their patterns are static).
        kryo.register(Gsm8kVerifier.class, new VerifierSerializer<>(Gsm8kVerifier::delimiter, Gsm8kVerifier::new));
        kryo.register(IntegerVerifier.class, new VerifierSerializer<>(IntegerVerifier::delimiter, IntegerVerifier::new));
        kryo.register(MultipleChoiceVerifier.class,
                new VerifierSerializer<>(MultipleChoiceVerifier::delimiter, MultipleChoiceVerifier::new));
        kryo.register(TaskResult[].class, new BoundedArraySerializer());
        kryo.register(Problem[].class, new BoundedArraySerializer());
        kryo.register(Object[].class, new BoundedArraySerializer());
        kryo.register(BarrierStepReport.class, new BarrierStepReportSerializer());
        kryo.register(BarrierStepReport[].class, new BoundedArraySerializer());
    }

    /**
     * What one object being read may still allocate: every array and string it reads is charged
     * here before it is allocated, so a stream cannot make one object allocate more than the budget
     * however its lengths add up (each length is also checked against its own limit).
     */
    static final class Budget {
        private final String object;
        private final long limit;
        private long used;

        Budget(String object, long limit) {
            this.object = object;
            this.limit = limit;
        }

        /** Charges {@code count} elements of {@code size} bytes for {@code what}, or fails before they are allocated. */
        void charge(long count, int size, String what) {
            long bytes = count * size; // count <= Integer.MAX_VALUE, size <= 8: no overflow
            if (bytes > limit - used) {
                throw new KryoException(object + ": " + what + " would take " + bytes + " bytes, over the budget of "
                        + limit + " bytes for one object (" + used + " already taken)");
            }
            used += bytes;
        }
    }

    static int checkedLength(int n, int max, String what) {
        if (n < 0 || n > max) {
            throw new KryoException(what + ": length " + n + " outside 0.." + max);
        }
        return n;
    }

    static void writeBytes(Output out, byte[] b) {
        out.writeInt(b == null ? -1 : b.length);
        if (b != null) out.writeBytes(b);
    }

    static byte[] readBytes(Input in, Budget budget, String what) {
        int n = in.readInt();
        if (n == -1) return null;
        budget.charge(checkedLength(n, MAX_BYTES, what), 1, what);
        return in.readBytes(n);
    }

    /** A string as its UTF-8 bytes after their count (-1 for null), which {@link #readOptionalString} bounds. */
    static void writeString(Output out, String s) {
        writeBytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    /** What {@link #writeString} wrote, at most {@link #MAX_STRING_BYTES} bytes; null if it wrote null. */
    static String readOptionalString(Input in, Budget budget, String what) {
        int n = in.readInt();
        if (n == -1) return null;
        budget.charge(checkedLength(n, MAX_STRING_BYTES, what), 1, what);
        return new String(in.readBytes(n), StandardCharsets.UTF_8);
    }

    static String readString(Input in, Budget budget, String what) {
        String s = readOptionalString(in, budget, what);
        if (s == null) throw new KryoException(what + " is missing");
        return s;
    }

    /** Names, shapes and float values of tensors, as in {@link PolicySnapshot} and {@link GradientContribution}. */
    static void writeTensors(Output out, NamedArrays t) {
        out.writeInt(t.size());
        for (int i = 0; i < t.size(); i++) {
            writeHeader(out, t.name(i), t.shape(i));
            out.writeInt(t.values(i).length);
            out.writeFloats(t.values(i));
        }
    }

    /** A tensor's name and shape, before its values. */
    static void writeHeader(Output out, String name, long[] shape) {
        writeString(out, name);
        out.writeInt(shape.length);
        for (long d : shape) out.writeLong(d);
    }

    /** A tensor's name, shape and element count as {@link #readHeader} read and bounded them. */
    record TensorHeader(String name, long[] shape, int elements) {
        /** Reads the count of values that follows, which must be the shape's element count. */
        int readValueCount(Input in) {
            int length = checkedLength(in.readInt(), MAX_ELEMENTS, name + " values");
            if (length != elements) {
                throw new KryoException(name + ": " + length + " values for " + elements + " elements");
            }
            return length;
        }
    }

    /** What {@link #writeHeader} wrote, the rank and every dimension bounded before anything is allocated. */
    static TensorHeader readHeader(Input in, Budget budget) {
        String name = readString(in, budget, "tensor name");
        int rank = checkedLength(in.readInt(), MAX_RANK, name + " rank");
        budget.charge(rank, Long.BYTES, name + " shape");
        long[] shape = new long[rank];
        long elements = 1;
        for (int d = 0; d < shape.length; d++) {
            shape[d] = in.readLong();
            if (shape[d] < 0 || shape[d] > MAX_ELEMENTS) {
                throw new KryoException(name + ": dimension " + shape[d] + " out of range");
            }
            elements *= shape[d];
            if (elements > MAX_ELEMENTS) throw new KryoException(name + ": too many elements");
        }
        return new TensorHeader(name, shape, (int) elements);
    }

    /** What {@link #writeTensors} wrote, every count and dimension bounded before anything is allocated. */
    static NamedArrays readNamedArrays(Input in, Budget budget) {
        int n = checkedLength(in.readInt(), MAX_TENSORS, "tensor count");
        budget.charge(n, 3 * 8, "tensor table"); // the three arrays of references below
        String[] names = new String[n];
        long[][] shapes = new long[n][];
        float[][] values = new float[n][];
        for (int i = 0; i < n; i++) {
            TensorHeader h = readHeader(in, budget);
            int length = h.readValueCount(in);
            budget.charge(length, Float.BYTES, h.name() + " values");
            names[i] = h.name();
            shapes[i] = h.shape();
            values[i] = in.readFloats(length);
        }
        try {
            return new NamedArrays(names, shapes, values);
        } catch (IllegalArgumentException e) {
            throw new KryoException(e.getMessage());
        }
    }

    static final class PolicySnapshotSerializer extends Serializer<PolicySnapshot> {
        /** How a tensor's values travel: floats, or bf16 (docs/design.md 3.4, "bf16 storage"). */
        static final byte FLOAT = 0, BF16 = 1;
        private final long budget;

        PolicySnapshotSerializer() {
            this(MAX_OBJECT_BYTES);
        }

        /** A reader whose snapshots may allocate at most {@code budget} bytes each. */
        PolicySnapshotSerializer(long budget) {
            this.budget = budget;
        }
        /**
         * The version, the tensor count, then per tensor its name and shape, one byte for how its
         * values travel ({@link #FLOAT} or {@link #BF16}), their count and the values (4 or 2 bytes
         * each): a bf16 tensor's bytes are half a float one's.
         */
        @Override
        public void write(Kryo kryo, Output out, PolicySnapshot s) {
            out.writeLong(s.version());
            out.writeInt(s.size());
            for (int i = 0; i < s.size(); i++) {
                writeHeader(out, s.name(i), s.shape(i));
                short[] bf16 = s.bf16Values(i);
                out.writeByte(bf16 != null ? BF16 : FLOAT);
                if (bf16 != null) {
                    out.writeInt(bf16.length);
                    out.writeShorts(bf16);
                } else {
                    out.writeInt(s.floatValues(i).length);
                    out.writeFloats(s.floatValues(i));
                }
            }
        }

        @Override
        public PolicySnapshot read(Kryo kryo, Input in, Class<PolicySnapshot> type) {
            long version = in.readLong();
            Budget b = new Budget("policy snapshot", budget);
            int n = checkedLength(in.readInt(), MAX_TENSORS, "tensor count");
            b.charge(n, 4 * 8, "tensor table"); // the four arrays of references below
            String[] names = new String[n];
            long[][] shapes = new long[n][];
            float[][] floats = new float[n][];
            short[][] bf16 = new short[n][];
            for (int i = 0; i < n; i++) {
                TensorHeader h = readHeader(in, b);
                names[i] = h.name();
                shapes[i] = h.shape();
                byte kind = in.readByte();
                if (kind != FLOAT && kind != BF16) throw new KryoException(h.name() + ": value type " + kind);
                int length = h.readValueCount(in);
                if (kind == BF16) {
                    b.charge(length, Short.BYTES, h.name() + " values");
                    bf16[i] = in.readShorts(length);
                } else {
                    b.charge(length, Float.BYTES, h.name() + " values");
                    floats[i] = in.readFloats(length);
                }
            }
            try {
                return new PolicySnapshot(version, names, shapes, floats, bf16);
            } catch (IllegalArgumentException e) {
                throw new KryoException(e.getMessage());
            }
        }
    }

    static final class RunResourcesSerializer extends Serializer<RunResources> {
        @Override
        public void write(Kryo kryo, Output out, RunResources r) {
            writeString(out, r.runId());
            writeBytes(out, r.modelConfigJson());
            writeBytes(out, r.tokenizerJson());
            writeBytes(out, r.tokenizerConfigJson());
            out.writeBoolean(r.reference() != null);
            if (r.reference() != null) kryo.writeObject(out, r.reference());
            out.writeInt(r.threadsPerTask());
            out.writeInt(r.weightStorage().ordinal());
            out.writeBoolean(r.lora() != null);
            if (r.lora() != null) {
                writeString(out, r.basePath());
                out.writeInt(r.lora().rank());
                out.writeDouble(r.lora().alpha());
                out.writeDouble(r.lora().dropout());
                out.writeInt(r.lora().targetModules().size());
                for (String m : r.lora().targetModules()) writeString(out, m);
            }
        }

        @Override
        public RunResources read(Kryo kryo, Input in, Class<RunResources> type) {
            // the reference snapshot, read by its own serializer, has a budget of its own
            Budget budget = new Budget("run resources", MAX_OBJECT_BYTES);
            String runId = readString(in, budget, "run id");
            byte[] config = readBytes(in, budget, "config.json");
            byte[] tokenizer = readBytes(in, budget, "tokenizer.json");
            byte[] tokenizerConfig = readBytes(in, budget, "tokenizer_config.json");
            PolicySnapshot reference = in.readBoolean() ? kryo.readObject(in, PolicySnapshot.class) : null;
            int threads = checkedLength(in.readInt(), 1 << 16, "threads per task");
            org.atmanrl.model.WeightStorage storage = org.atmanrl.model.WeightStorage.values()[
                    checkedLength(in.readInt(), org.atmanrl.model.WeightStorage.values().length - 1, "weight storage")];
            if (!in.readBoolean()) {
                return new RunResources(runId, config, tokenizer, tokenizerConfig, reference, threads, null, null, storage);
            }
            String basePath = readString(in, budget, "base model path");
            int rank = in.readInt();
            double alpha = in.readDouble(), dropout = in.readDouble();
            int n = checkedLength(in.readInt(), org.atmanrl.model.lora.LoraTarget.values().length, "lora target modules");
            List<String> modules = new ArrayList<>(n);
            for (int i = 0; i < n; i++) modules.add(readString(in, budget, "lora target module"));
            return new RunResources(runId, config, tokenizer, tokenizerConfig, reference, threads, basePath,
                    new org.atmanrl.model.lora.LoraConfig(rank, alpha, dropout, modules), storage);
        }
    }

    static final class ProblemSerializer extends Serializer<Problem> {
        @Override
        public void write(Kryo kryo, Output out, Problem p) {
            writeString(out, p.id());
            writeString(out, p.promptText());
            int[] ids = p.promptIds();
            out.writeInt(ids.length);
            out.writeInts(ids);
            writeString(out, p.reference());
            writeString(out, p.referenceCompletion().orElse(null));
            kryo.writeClassAndObject(out, p.verifier());
            writeString(out, p.hint().orElse(null));
        }

        @Override
        public Problem read(Kryo kryo, Input in, Class<Problem> type) {
            Budget budget = new Budget("problem", MAX_SMALL_OBJECT_BYTES);
            String id = readString(in, budget, "problem id");
            String text = readString(in, budget, "prompt text of " + id);
            int tokens = checkedLength(in.readInt(), MAX_PROMPT_TOKENS, "prompt of " + id);
            budget.charge(tokens, Integer.BYTES, "prompt of " + id);
            int[] ids = in.readInts(tokens);
            String reference = readString(in, budget, "reference of " + id);
            String completion = readOptionalString(in, budget, "reference completion of " + id);
            Object verifier = kryo.readClassAndObject(in);
            if (!(verifier instanceof Verifier v)) {
                throw new KryoException("problem " + id + ": no verifier");
            }
            String hint = readOptionalString(in, budget, "hint of " + id);
            return new Problem(id, text, ids, reference, completion, v, hint);
        }
    }

    static final class TaskResultSerializer extends Serializer<TaskResult> {
        @Override
        public void write(Kryo kryo, Output out, TaskResult r) {
            GradientContribution g = r.gradient();
            out.writeInt(g.aggregation().ordinal());
            writeTensors(out, g.gradientSums());
            GrpoSums s = g.sums();
            out.writeDouble(s.loss());
            out.writeDouble(s.normaliser());
            out.writeLong(s.tokens());
            out.writeLong(s.completions());
            out.writeDouble(s.ratio());
            out.writeDouble(s.k3());
            out.writeLong(s.clippedLow());
            out.writeLong(s.clippedHigh());
            out.writeLong(s.groups());
            out.writeLong(s.zeroVarianceGroups());
            out.writeLong(s.droppedGroups());
            RolloutMetrics m = r.metrics();
            out.writeLong(m.completions());
            out.writeLong(m.correct());
            out.writeLong(m.parsed());
            out.writeDouble(m.rewardSum());
            out.writeDouble(m.rewardSquareSum());
            out.writeLong(m.lengthSum());
            out.writeLong(m.fitted());
            out.writeDouble(m.necessitySum());
            out.writeDouble(m.coverageSum());
            out.writeDouble(m.sufficiencySum());
            out.writeLong(m.sufficiencyRows());
            out.writeDouble(m.saliencySum());
            out.writeLong(m.zeroVarianceGroups());
            out.writeLong(m.groups());
            for (long c : m.cotUse().toArray()) out.writeLong(c);
            StepTimings t = r.timings();
            out.writeDouble(t.generation());
            out.writeDouble(t.saliency());
            out.writeDouble(t.gradient());
            out.writeDouble(r.slowestTask());
            out.writeInt(r.tasks());
            out.writeBoolean(r.masksCollapsed());
            MaskHeadSums h = r.head();
            out.writeBoolean(h != null);
            if (h != null) {
                writeTensors(out, h.gradientSums());
                out.writeDouble(h.objectiveSum());
                out.writeLong(h.rows());
            }
            MaskAudit a = r.audit();
            out.writeLong(a.rows());
            out.writeLong(a.tokens());
            out.writeDouble(a.absGapSum());
            out.writeLong(a.ranked());
            out.writeDouble(a.spearmanSum());
            out.writeDouble(a.objectiveNetwork());
            out.writeDouble(a.objectiveFitted());
        }

        @Override
        public TaskResult read(Kryo kryo, Input in, Class<TaskResult> type) {
            GrpoConfig.Aggregation[] aggregations = GrpoConfig.Aggregation.values();
            int a = checkedLength(in.readInt(), aggregations.length - 1, "aggregation");
            Budget budget = new Budget("task result", MAX_OBJECT_BYTES);
            NamedArrays t = readNamedArrays(in, budget);
            GrpoSums sums = new GrpoSums(in.readDouble(), in.readDouble(), in.readLong(), in.readLong(), in.readDouble(),
                    in.readDouble(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
            GradientContribution g = new GradientContribution(aggregations[a], t, sums);
            RolloutMetrics m = new RolloutMetrics(in.readLong(), in.readLong(), in.readLong(), in.readDouble(),
                    in.readDouble(), in.readLong(), in.readLong(), in.readDouble(), in.readDouble(), in.readDouble(), in.readLong(),
                    in.readDouble(), in.readLong(), in.readLong(), readCotUse(in));
            StepTimings timings = new StepTimings(in.readDouble(), in.readDouble(), in.readDouble());
            double slowest = in.readDouble();
            int tasks = in.readInt();
            boolean collapsed = in.readBoolean();
            try {
                MaskHeadSums head = in.readBoolean()
                        ? new MaskHeadSums(readNamedArrays(in, budget), in.readDouble(), in.readLong()) : null;
                MaskAudit audit = new MaskAudit(in.readLong(), in.readLong(), in.readDouble(), in.readLong(),
                        in.readDouble(), in.readDouble(), in.readDouble());
                return new TaskResult(g, m, timings, slowest, tasks, collapsed, head, audit);
            } catch (IllegalArgumentException e) {
                throw new KryoException("task result: " + e.getMessage());
            }
        }
    }

    /** A barrier step's report: the step, its results without gradient arrays (a task result's bounds), numbers. */
    static final class BarrierStepReportSerializer extends Serializer<BarrierStepReport> {
        @Override
        public void write(Kryo kryo, Output out, BarrierStepReport r) {
            out.writeLong(r.step());
            kryo.writeObject(out, r.rollouts());
            out.writeDouble(r.gradNorm());
            out.writeDouble(r.clipScale());
            out.writeDouble(r.lr());
            out.writeLong(r.optimizerSteps());
            out.writeDouble(r.compute());
            out.writeDouble(r.exchange());
            out.writeDouble(r.update());
            out.writeDouble(r.total());
        }

        @Override
        public BarrierStepReport read(Kryo kryo, Input in, Class<BarrierStepReport> type) {
            return new BarrierStepReport(in.readLong(), kryo.readObject(in, TaskResult.class), in.readDouble(),
                    in.readDouble(), in.readDouble(), in.readLong(), in.readDouble(), in.readDouble(), in.readDouble(),
                    in.readDouble());
        }
    }

    /** {@link CotUseCounts#toArray()}'s fixed number of counts. */
    static CotUseCounts readCotUse(Input in) {
        long[] counts = new long[CotUseCounts.ZERO.toArray().length];
        for (int i = 0; i < counts.length; i++) counts[i] = in.readLong();
        try {
            return CotUseCounts.fromArray(counts);
        } catch (IllegalArgumentException e) {
            throw new KryoException(e.getMessage());
        }
    }

    /** One shard's evaluation; the faithfulness counts are written only when the probes ran. */
    static final class EvalReportSerializer extends Serializer<EvalReport> {
        @Override
        public void write(Kryo kryo, Output out, EvalReport r) {
            writeString(out, r.dataSet());
            out.writeInt(r.problems());
            out.writeInt(r.correct());
            out.writeInt(r.unparsed());
            out.writeInt(r.fitted());
            out.writeDouble(r.meanNecessity());
            out.writeDouble(r.meanCoverage());
            out.writeDouble(r.meanSufficiency());
            out.writeDouble(r.meanSaliency());
            out.writeDouble(r.meanSaliencyOfCorrect());
            out.writeBoolean(r.masksCollapsed());
            out.writeDouble(r.seconds());
            FaithfulnessResult f = r.faithfulness();
            out.writeBoolean(f != null);
            if (f == null) return;
            EarlyAnswering.Result e = f.earlyAnswering();
            out.writeBoolean(e != null);
            if (e != null) {
                out.writeInt(e.fractions().length);
                out.writeDoubles(e.fractions());
                out.writeLongs(e.agreeing());
                out.writeLong(e.probed());
            }
            AddedMistakes.Result m = f.addedMistakes();
            out.writeBoolean(m != null);
            if (m != null) {
                out.writeLong(m.probed());
                out.writeLong(m.skippedNoNumber());
                out.writeLong(m.changed());
                out.writeLong(m.unparsed());
            }
            FillerTokens.Result t = f.fillerTokens();
            out.writeBoolean(t != null);
            if (t != null) {
                out.writeLong(t.probed());
                out.writeLong(t.changed());
                out.writeLong(t.correct());
            }
            out.writeBoolean(f.cotUse() != null);
            if (f.cotUse() != null) {
                for (long c : f.cotUse().toArray()) out.writeLong(c);
            }
        }

        @Override
        public EvalReport read(Kryo kryo, Input in, Class<EvalReport> type) {
            Budget budget = new Budget("evaluation report", MAX_SMALL_OBJECT_BYTES);
            String dataSet = readString(in, budget, "data set");
            int problems = in.readInt(), correct = in.readInt(), unparsed = in.readInt(), fitted = in.readInt();
            double n = in.readDouble(), c = in.readDouble(), s = in.readDouble(), sal = in.readDouble(),
                    salCorrect = in.readDouble();
            boolean collapsed = in.readBoolean();
            double seconds = in.readDouble();
            FaithfulnessResult f = null;
            if (in.readBoolean()) {
                EarlyAnswering.Result e = null;
                if (in.readBoolean()) {
                    int k = checkedLength(in.readInt(), MAX_FRACTIONS, "early-answering fractions");
                    budget.charge(k, 2 * 8, "early-answering fractions");
                    e = new EarlyAnswering.Result(in.readDoubles(k), in.readLongs(k), in.readLong());
                }
                AddedMistakes.Result m = in.readBoolean()
                        ? new AddedMistakes.Result(in.readLong(), in.readLong(), in.readLong(), in.readLong()) : null;
                FillerTokens.Result t = in.readBoolean()
                        ? new FillerTokens.Result(in.readLong(), in.readLong(), in.readLong()) : null;
                f = new FaithfulnessResult(e, m, t, in.readBoolean() ? readCotUse(in) : null);
            }
            return new EvalReport(dataSet, problems, correct, unparsed, fitted, n, c, s, sal, salCorrect, collapsed,
                    seconds, f);
        }
    }

    /** A verifier: its delimiter, a bounded string (the patterns are static). */
    static final class VerifierSerializer<V extends Verifier> extends Serializer<V> {
        private final Function<V, String> delimiter;
        private final Function<String, V> make;

        VerifierSerializer(Function<V, String> delimiter, Function<String, V> make) {
            this.delimiter = delimiter;
            this.make = make;
        }

        @Override
        public void write(Kryo kryo, Output out, V v) {
            writeString(out, delimiter.apply(v));
        }

        @Override
        public V read(Kryo kryo, Input in, Class<V> type) {
            String d = readString(in, new Budget("verifier", MAX_STRING_BYTES), "verifier delimiter");
            try {
                return make.apply(d);
            } catch (IllegalArgumentException e) {
                throw new KryoException("verifier: " + e.getMessage());
            }
        }
    }

    /**
     * An array of problems, results or reports (as Spark sends a partition's), written as Kryo's
     * own array serializer writes it (length + 1, then each element with its class), but read with
     * the length checked against {@link #MAX_ARRAY_LENGTH} before the array is allocated, and each
     * element checked to be of the array's type.
     */
    static final class BoundedArraySerializer extends Serializer<Object[]> {
        BoundedArraySerializer() {
            super(true); // accepts null
        }

        @Override
        public void write(Kryo kryo, Output out, Object[] array) {
            if (array == null) {
                out.writeVarInt(0, true);
                return;
            }
            out.writeVarInt(array.length + 1, true);
            for (Object o : array) kryo.writeClassAndObject(out, o);
        }

        @Override
        public Object[] read(Kryo kryo, Input in, Class<Object[]> type) {
            int claimed = in.readVarInt(true);
            if (claimed == 0) return null;
            String what = type.getComponentType().getSimpleName() + " array length";
            int n = checkedLength(claimed - 1, MAX_ARRAY_LENGTH, what);
            Object[] array = (Object[]) Array.newInstance(type.getComponentType(), n);
            kryo.reference(array);
            for (int i = 0; i < n; i++) {
                Object o = kryo.readClassAndObject(in);
                if (o != null && !type.getComponentType().isInstance(o)) {
                    throw new KryoException(type.getComponentType().getSimpleName() + " array: element " + i + " is a "
                            + o.getClass().getName());
                }
                array[i] = o;
            }
            return array;
        }
    }
}
