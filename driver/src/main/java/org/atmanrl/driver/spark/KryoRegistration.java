package org.atmanrl.driver.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
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
import org.atmanrl.reward.task.Gsm8kVerifier;
import org.atmanrl.reward.task.IntegerVerifier;
import org.atmanrl.reward.task.MultipleChoiceVerifier;
import org.atmanrl.reward.task.Problem;
import org.atmanrl.executor.rollout.CotUseCounts;
import org.atmanrl.reward.task.Verifier;

/**
 * Every class the training service sends through Spark's serializer, registered with Kryo
 * ({@code spark.kryo.registrationRequired=true}, so an unregistered class is an error, not a
 * silent fallback). The service's own types have hand-written serializers: they write plain
 * fields, and on reading check every length against a limit before allocating, so a corrupt or
 * hostile stream fails with an error instead of exhausting memory. Nothing is Java-serialized.
 */
public final class KryoRegistration implements KryoRegistrator {
    /** Limits on what a stream may ask to allocate. */
    static final int MAX_TENSORS = 1 << 16;
    static final int MAX_RANK = 8;
    static final int MAX_ELEMENTS = Integer.MAX_VALUE - 16;
    static final int MAX_BYTES = 256 << 20;
    static final int MAX_PROMPT_TOKENS = 1 << 20;
    static final int MAX_FRACTIONS = 1 << 10;

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.register(PolicySnapshot.class, new PolicySnapshotSerializer());
        kryo.register(RunResources.class, new RunResourcesSerializer());
        kryo.register(TaskResult.class, new TaskResultSerializer());
        kryo.register(Problem.class, new ProblemSerializer());
        kryo.register(EvalReport.class, new EvalReportSerializer());
        kryo.register(EvalReport[].class);
        // Verifiers hold only their delimiter (their patterns are static): field serializers do.
        kryo.register(Gsm8kVerifier.class);
        kryo.register(IntegerVerifier.class);
        kryo.register(MultipleChoiceVerifier.class);
        kryo.register(TaskResult[].class);
        kryo.register(Problem[].class);
        kryo.register(Object[].class);
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

    static byte[] readBytes(Input in, String what) {
        int n = in.readInt();
        if (n == -1) return null;
        return in.readBytes(checkedLength(n, MAX_BYTES, what));
    }

    static String readString(Input in, String what) {
        String s = in.readString();
        if (s == null) throw new KryoException(what + " is missing");
        return s;
    }

    /** Names, shapes and float values of tensors, as in {@link PolicySnapshot} and {@link GradientContribution}. */
    static void writeTensors(Output out, NamedArrays t) {
        out.writeInt(t.size());
        for (int i = 0; i < t.size(); i++) {
            out.writeString(t.name(i));
            long[] shape = t.shape(i);
            out.writeInt(shape.length);
            for (long d : shape) out.writeLong(d);
            out.writeInt(t.values(i).length);
            out.writeFloats(t.values(i));
        }
    }

    /** What {@link #writeTensors} wrote, every count and dimension bounded before anything is allocated. */
    static NamedArrays readNamedArrays(Input in) {
        int n = checkedLength(in.readInt(), MAX_TENSORS, "tensor count");
        String[] names = new String[n];
        long[][] shapes = new long[n][];
        float[][] values = new float[n][];
        for (int i = 0; i < n; i++) {
            names[i] = readString(in, "tensor name");
            long[] shape = new long[checkedLength(in.readInt(), MAX_RANK, names[i] + " rank")];
            long elements = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = in.readLong();
                if (shape[d] < 0 || shape[d] > MAX_ELEMENTS) {
                    throw new KryoException(names[i] + ": dimension " + shape[d] + " out of range");
                }
                elements *= shape[d];
                if (elements > MAX_ELEMENTS) throw new KryoException(names[i] + ": too many elements");
            }
            int length = checkedLength(in.readInt(), MAX_ELEMENTS, names[i] + " values");
            if (length != elements) {
                throw new KryoException(names[i] + ": " + length + " values for " + elements + " elements");
            }
            shapes[i] = shape;
            values[i] = in.readFloats(length);
        }
        try {
            return new NamedArrays(names, shapes, values);
        } catch (IllegalArgumentException e) {
            throw new KryoException(e.getMessage());
        }
    }

    static final class PolicySnapshotSerializer extends Serializer<PolicySnapshot> {
        @Override
        public void write(Kryo kryo, Output out, PolicySnapshot s) {
            out.writeLong(s.version());
            writeTensors(out, s.tensors());
        }

        @Override
        public PolicySnapshot read(Kryo kryo, Input in, Class<PolicySnapshot> type) {
            long version = in.readLong();
            return new PolicySnapshot(version, readNamedArrays(in));
        }
    }

    static final class RunResourcesSerializer extends Serializer<RunResources> {
        @Override
        public void write(Kryo kryo, Output out, RunResources r) {
            out.writeString(r.runId());
            writeBytes(out, r.modelConfigJson());
            writeBytes(out, r.tokenizerJson());
            writeBytes(out, r.tokenizerConfigJson());
            out.writeBoolean(r.reference() != null);
            if (r.reference() != null) kryo.writeObject(out, r.reference());
            out.writeInt(r.threadsPerTask());
        }

        @Override
        public RunResources read(Kryo kryo, Input in, Class<RunResources> type) {
            String runId = readString(in, "run id");
            byte[] config = readBytes(in, "config.json");
            byte[] tokenizer = readBytes(in, "tokenizer.json");
            byte[] tokenizerConfig = readBytes(in, "tokenizer_config.json");
            PolicySnapshot reference = in.readBoolean() ? kryo.readObject(in, PolicySnapshot.class) : null;
            int threads = checkedLength(in.readInt(), 1 << 16, "threads per task");
            return new RunResources(runId, config, tokenizer, tokenizerConfig, reference, threads);
        }
    }

    static final class ProblemSerializer extends Serializer<Problem> {
        @Override
        public void write(Kryo kryo, Output out, Problem p) {
            out.writeString(p.id());
            out.writeString(p.promptText());
            int[] ids = p.promptIds();
            out.writeInt(ids.length);
            out.writeInts(ids);
            out.writeString(p.reference());
            out.writeString(p.referenceCompletion().orElse(null));
            kryo.writeClassAndObject(out, p.verifier());
            out.writeString(p.hint().orElse(null));
        }

        @Override
        public Problem read(Kryo kryo, Input in, Class<Problem> type) {
            String id = readString(in, "problem id");
            String text = readString(in, "prompt text");
            int[] ids = in.readInts(checkedLength(in.readInt(), MAX_PROMPT_TOKENS, "prompt of " + id));
            String reference = readString(in, "reference of " + id);
            String completion = in.readString();
            Object verifier = kryo.readClassAndObject(in);
            if (!(verifier instanceof Verifier v)) {
                throw new KryoException("problem " + id + ": no verifier");
            }
            String hint = in.readString();
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
            NamedArrays t = readNamedArrays(in);
            GrpoSums sums = new GrpoSums(in.readDouble(), in.readDouble(), in.readLong(), in.readLong(), in.readDouble(),
                    in.readDouble(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
            GradientContribution g = new GradientContribution(aggregations[a], t, sums);
            RolloutMetrics m = new RolloutMetrics(in.readLong(), in.readLong(), in.readLong(), in.readDouble(),
                    in.readDouble(), in.readLong(), in.readLong(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(),
                    in.readLong(), in.readLong(), readCotUse(in));
            StepTimings timings = new StepTimings(in.readDouble(), in.readDouble(), in.readDouble());
            double slowest = in.readDouble();
            int tasks = in.readInt();
            boolean collapsed = in.readBoolean();
            try {
                MaskHeadSums head = in.readBoolean()
                        ? new MaskHeadSums(readNamedArrays(in), in.readDouble(), in.readLong()) : null;
                MaskAudit audit = new MaskAudit(in.readLong(), in.readLong(), in.readDouble(), in.readLong(),
                        in.readDouble(), in.readDouble(), in.readDouble());
                return new TaskResult(g, m, timings, slowest, tasks, collapsed, head, audit);
            } catch (IllegalArgumentException e) {
                throw new KryoException("task result: " + e.getMessage());
            }
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
            out.writeString(r.dataSet());
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
            String dataSet = readString(in, "data set");
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
}
