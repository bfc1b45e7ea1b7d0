package org.atmanrl.driver.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.executor.collective.Collective;
import org.atmanrl.executor.collective.Shards;
import org.atmanrl.model.BufferPool;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;

/**
 * What a run's config needs in memory (docs/design.md 3.3, "Memory plan"), computed before Spark
 * starts from the config, the model's config.json and the longest prompt: per executor and on the
 * driver, one named byte count per term. A pure function of its inputs; {@link #check} compares
 * it with the memory a {@link MemoryLimits} sees and refuses with one line naming the setting.
 *
 * <p>Weights are counted by their data type: fp32 (4 bytes), or with weight_storage bf16 the
 * executors' weights that do not train at 2 bytes per matrix entry (norms stay fp32), plus each
 * task's fp32 scratch for the one matrix widened at a time (docs/design.md 3.4, "bf16 storage").
 * Gradients, moments, adapters and activations are fp32.
 *
 * @param parameters      the model's parameter count ({@link LlamaWeights#parameterCount(LlamaConfig)})
 * @param cells           cells per row: the longest prompt plus {@code sampling.max_new_tokens}
 * @param tasksPerExecutor tasks that run at once in one executor (local: the worker threads, at most
 *                        the partitions; a cluster: {@code spark.executor.cores / spark.task.cpus},
 *                        else 1)
 * @param executorShared  per executor, whatever its tasks: the model(s) and the broadcast snapshot
 * @param perTask         per running task: gradients, the task result and its peak passes
 * @param driver          the driver's copies (sync mode; none in barrier mode)
 * @param barrier         a barrier-mode plan: each task is a rank with its own replica, and the driver
 *                        holds only the run's control (docs/design.md 3.5)
 */
public record MemoryPlan(long parameters, int cells, int tasksPerExecutor, List<Term> executorShared,
                         List<Term> perTask, List<Term> driver, boolean barrier) {
    /** Bytes per stored number: fp32 everywhere. */
    static final int FLOAT_BYTES = 4;
    /**
     * What every JVM of the project holds resident outside its heap besides the terms: metaspace,
     * code, threads and GC structures (0.26 GB by -XX:NativeMemoryTracking=summary) and the native
     * libraries' own memory (ND4J, OpenBLAS, DJL's tokenizer; with ND4J's arrays, 0.34 GB that NMT
     * does not track). Measured 2026-12-03 on the demo's AtManRL config under local Spark: peak RSS
     * 1.55 GB against 0.39 GB of terms, so this and {@link #HEAP_RUNTIME} are that run's 1.16 GB of
     * JVM, split as NMT showed it (docs/design.md 3.3, "Against a measurement").
     */
    static final long JVM_OUTSIDE_HEAP = 600_000_000L;
    /**
     * The heap the JVM uses beyond the heap terms: Spark's driver and executor objects, the data
     * set, and the garbage G1 lets build up between collections (0.53 GB in use, 0.83 GB committed
     * at the same measurement's peak, against 29 MB of heap terms). Never more than the heap limit
     * leaves: a JVM whose -Xmx is close to its heap terms collects more often instead.
     */
    static final long HEAP_RUNTIME = 600_000_000L;

    /** Where a term lives: ND4J tensors off the Java heap, Java arrays on it. */
    public enum Place { OFF_HEAP, HEAP }

    /**
     * How long a task holds a term. A pass's intermediate arrays come from a {@link BufferPool},
     * which keeps them for the next pass, step and task (docs/design.md 6.1, "Reused buffers"): the
     * largest pass's are held besides whatever phase follows (the next step's decoding, an AdamW step).
     */
    public enum Held {
        /** Throughout the task. */
        ALWAYS,
        /** A pass's reused buffers: the largest such term counts, held from the first pass on. */
        POOLED,
        /** One phase (generation's cache, an optimizer step, a collective): the largest such term counts. */
        PHASE
    }

    /**
     * One named byte count.
     *
     * @param setting the key or setting that lowers it, or null when only more memory helps
     * @param held    how long the task holds it: a task's peak counts every {@link Held#ALWAYS} term, the
     *                largest {@link Held#POOLED} one and the largest {@link Held#PHASE} one
     */
    public record Term(String name, long bytes, Place place, String detail, String setting, Held held) {
        public Term {
            if (bytes < 0) throw new IllegalArgumentException(name + " must be >= 0 bytes, got " + bytes);
        }

        Term(String name, long bytes, Place place, String detail, String setting) {
            this(name, bytes, place, detail, setting, Held.ALWAYS);
        }
    }

    public MemoryPlan {
        if (barrier && (!executorShared.isEmpty() || !driver.isEmpty())) {
            throw new IllegalArgumentException("a barrier plan has no shared executor terms and no driver terms");
        }
        if (cells < 1 || tasksPerExecutor < 1) {
            throw new IllegalArgumentException("cells and tasks per executor must be >= 1, got " + cells + " and "
                    + tasksPerExecutor);
        }
        executorShared = List.copyOf(executorShared);
        perTask = List.copyOf(perTask);
        driver = List.copyOf(driver);
    }

    /**
     * The plan for {@code c} on a model of shape {@code m}, rows of {@code promptTokens} prompt tokens at
     * most, {@code tasksPerExecutor} tasks at once per executor.
     */
    public static MemoryPlan of(TrainConfig c, LlamaConfig m, int promptTokens, int tasksPerExecutor) {
        long params = LlamaWeights.parameterCount(m);
        long copy = params * FLOAT_BYTES;
        String fp32 = String.format(Locale.ROOT, "fp32, %.3g params", (double) params);
        // what executors hold but do not train, as weight_storage stores it
        WeightStorage storage = c.weightStorage();
        long held = storedBytes(m, storage);
        String heldDetail = storage == WeightStorage.F32 ? fp32
                : String.format(Locale.ROOT, "bf16 matrices and fp32 norms, %.3g params", (double) params);
        int cells = promptTokens + c.sampling().maxNewTokens();
        // a task holds whole prompt groups: ceil(B / P) prompts x G completions (docs/design.md 3)
        int taskRows = ceilDiv(c.promptsPerStep(), c.partitions()) * c.grpo().groupSize();
        Trained trained = c.lora().on() ? Trained.adapters(m, c.lora().adapters()) : Trained.whole(params);
        long t = trained.bytes();
        if (c.mode() == TrainingMode.BARRIER) return barrier(c, m, cells, taskRows, tasksPerExecutor);

        List<Term> shared = new ArrayList<>();
        if (trained.lora()) {
            // the base once: with beta > 0 it is also the reference, adapters off (docs/design.md 3.4)
            shared.add(new Term("base weights", held, Place.OFF_HEAP,
                    heldDetail + (c.grpo().needsReference() ? ", also the reference" : ""), "weight_storage"));
            shared.add(new Term("adapters", t, Place.OFF_HEAP, trained.detail(), trained.setting()));
        } else {
            shared.add(new Term("weights", held, Place.OFF_HEAP, heldDetail, "weight_storage"));
            if (c.grpo().needsReference()) {
                shared.add(new Term("reference weights", held, Place.OFF_HEAP, heldDetail + ", grpo.beta > 0", "grpo.beta"));
            }
        }
        // what trains as PolicySnapshot arrays, kept by the executor's block manager: the adapters as
        // fp32, the whole model as the executors store it (bf16 matrices travel as bf16, docs/design.md 3.4)
        long snapshot = trained.lora() ? t : held;
        String snapshotDetail = trained.lora() ? "the adapters as fp32 arrays"
                : storage == WeightStorage.F32 ? "fp32 arrays" : "bf16 matrices and fp32 norms as arrays";
        shared.add(new Term("broadcast snapshot", snapshot, Place.HEAP, snapshotDetail, trained.setting()));

        List<Term> task = new ArrayList<>();
        // the backward's gradient (LlamaWeights.zerosLike, or the adapters') and, split, the running sum (design 6.1)
        boolean split = c.grpo().splits(taskRows);
        task.add(new Term("gradients", (split ? 2 : 1) * t, Place.OFF_HEAP,
                (trained.lora() ? "adapters" : "fp32") + (split ? ", a pass's and the running sum" : ", one pass"),
                trained.setting()));
        task.add(new Term("task result", t, Place.HEAP, trained.lora() ? "adapter gradient sums" : "fp32 gradient sums",
                trained.setting()));
        if (storage != WeightStorage.F32) {
            // StoredWeights.fp32: a thread's scratch, as large as the largest matrix it widened, kept by the task's thread
            task.add(new Term("bf16 widening scratch", largestMatrix(m) * FLOAT_BYTES, Place.OFF_HEAP,
                    "fp32, the largest matrix", "weight_storage"));
        }
        task.addAll(passes(c, m, cells, taskRows, trained));

        int p = c.partitions();
        List<Term> drv = new ArrayList<>();
        drv.add(new Term(trained.lora() ? "adapters" : "policy", t, Place.OFF_HEAP, trained.detail(), trained.setting()));
        drv.add(new Term("AdamW moments", 2 * t, Place.OFF_HEAP, "fp32, m and v", trained.setting()));
        // the broadcast value and Spark's serialised blocks of it (TorrentBroadcast keeps both on the
        // driver); a full run also broadcasts the reference, a LoRA run's reference is the executors' base
        boolean reference = c.grpo().needsReference() && !trained.lora();
        drv.add(new Term("broadcast snapshots", (reference ? 4 : 2) * snapshot, Place.HEAP,
                (reference ? "policy and reference, each as arrays and serialised blocks" : "as arrays and serialised blocks")
                        + (trained.lora() || storage == WeightStorage.F32 ? "" : ", bf16 matrices"),
                trained.setting()));
        drv.add(new Term("task results", p * t, Place.HEAP, "partitions " + p + " x " + (trained.lora() ? "adapter"
                : "fp32") + " gradient sums", "partitions"));
        // TaskResult.sum's running merge and the normalised gradient (GradientContribution.normalise)
        drv.add(new Term("merged gradients", 2 * t, Place.HEAP, "the partition-order sum and its normalised copy",
                trained.setting()));
        if (trained.lora() && c.eval().samples() > 0) {
            // a LoRA run's driver holds no base while it trains; it reads it once at the end (docs/design.md 3.4)
            drv.add(new Term("base weights (at the end)", copy, Place.OFF_HEAP, fp32 + ", read once for the saliency samples",
                    "eval.samples"));
        }
        return new MemoryPlan(params, cells, tasksPerExecutor, shared, task, drv, false);
    }

    /**
     * A task's passes and its generation, the same in both modes: a kept pass holds every layer's
     * activations until its backward (design 6.1); the gradient's passes and the mask fit's run one
     * after another, so only the largest counts, and the pool keeps its buffers (with the slack) while
     * generation's KV cache is held besides them.
     */
    private static List<Term> passes(TrainConfig c, LlamaConfig m, int cells, int taskRows, Trained trained) {
        int gradientRows = c.grpo().rowsPerPass(taskRows);
        boolean saliencyOn = c.saliency().alpha() > 0 || c.saliencyMetrics();
        // the mask fit's passes and the rollouts' decoding both take saliency.max_rows_per_pass rows at once
        // (RolloutScoring hands it to Rollouts.generate)
        int passRows = Math.min(taskRows, c.saliency().maxRowsPerPass());
        List<Term> out = new ArrayList<>();
        Term grpo = activations("GRPO activations", gradientRows, cells, m, "grpo.micro_batch_rows",
                c.grpo().microBatchRows());
        out.add(trained.lora() ? new Term(grpo.name(), grpo.bytes() + gradientRows * trained.branchBytesPerCell() * cells,
                grpo.place(), grpo.detail() + ", with the LoRA branches", grpo.setting(), Held.POOLED) : grpo);
        if (saliencyOn) {
            out.add(activations("mask-fit activations", passRows, cells, m, "saliency.max_rows_per_pass",
                    c.saliency().maxRowsPerPass()));
        }
        out.add(new Term("KV cache", kvCacheBytes(m, passRows, cells), Place.OFF_HEAP,
                String.format(Locale.ROOT, "%d rows x %,d cells", passRows, cells), "saliency.max_rows_per_pass",
                Held.PHASE));
        // the pool holds up to SLACK of the most a pass asked for beyond it, so that buffers fit across
        // shapes (BufferPool, docs/design.md 6.1, "Reused buffers"); the largest pass bounds that most
        long largestPass = out.stream().filter(t -> t.held() == Held.POOLED).mapToLong(Term::bytes).max().orElse(0);
        out.add(new Term("reused-buffer slack", BufferPool.slackBytes(largestPass), Place.OFF_HEAP,
                "1/8 of the largest pass, at least 64 MB", null));
        return out;
    }

    /**
     * Barrier mode (docs/design.md 3.3 and 3.5; BarrierStageFunction): every task is a rank that reads
     * its own fp32 replica for the stage, so an executor shares nothing between its ranks and the
     * driver holds only the run's control (BarrierModeLimits refuses LoRA, a reference model and bf16
     * storage here). A rank's shard terms are those of the rank that counts most, over the split
     * {@link Shards#split} makes at P = partitions: shards are whole tensors, so they are uneven.
     * Per step a rank holds, besides the passes and the gradient and task result a sync task holds
     * (the task result stays reachable until the step's end): during the reduce-scatter the P − 1
     * received copies of its shard and their sum; then the sum and its normalised copy, and during
     * the all-gather the other ranks' shards as received besides them; during the AdamW step the
     * shard's gradient as ND4J arrays and two transient arrays of its largest tensor (AdamW.step's
     * denominator and update); the moments of its shard throughout, and their copies as arrays when
     * the checkpoint is written or read; and Collective's two staging buffers of a frame.
     */
    private static MemoryPlan barrier(TrainConfig c, LlamaConfig m, int cells, int taskRows, int tasksPerExecutor) {
        long params = LlamaWeights.parameterCount(m);
        long copy = params * FLOAT_BYTES;
        int p = c.partitions();
        Map<String, long[]> shapes = LlamaWeights.shapes(m);
        Shards shards = Shards.split(shapes, p);
        long[] sizes = shapes.values().stream().mapToLong(s -> NamedArrays.elements(s) * FLOAT_BYTES).toArray();
        long shard = 0, step = 0, tensor = 0;
        int largest = 0;
        for (int k = 0; k < p; k++) {
            long inShard = 0;
            for (int i = shards.firstTensor(k); i < shards.endTensor(k); i++) inShard = Math.max(inShard, sizes[i]);
            if (shards.bytes(k) > shard) {
                shard = shards.bytes(k);
                largest = k;
            }
            step = Math.max(step, shards.bytes(k) + 2 * inShard);
        }
        for (long s : sizes) tensor = Math.max(tensor, s);
        String fp32 = String.format(Locale.ROOT, "fp32, %.3g params", (double) params);
        String ofShard = String.format(Locale.ROOT, "the largest shard: rank %d of %d, %d tensors, %s", largest, p,
                shards.endTensor(largest) - shards.firstTensor(largest), bytes(shard));
        boolean split = c.grpo().splits(taskRows);

        // no key lowers the shard's terms: more partitions shrink the moments but not the P received
        // copies or the gathered model, and the refusal's advice is to lower a key (check)
        List<Term> task = new ArrayList<>();
        task.add(new Term("replica", copy, Place.OFF_HEAP, fp32 + ", read from the model or the last checkpoint", null));
        task.add(new Term("gradients", (split ? 2 : 1) * copy, Place.OFF_HEAP,
                "fp32" + (split ? ", a pass's and the running sum" : ", one pass"), null));
        task.add(new Term("task result", copy, Place.HEAP, "fp32 gradient sums, held until the step's end", null));
        task.add(new Term("AdamW moments", 2 * shard, Place.OFF_HEAP, "m and v of " + ofShard, null));
        // Collective.buffer: one direct buffer to send and one to receive, a frame at most, 64 KiB at least
        long frame = p == 1 ? 0 : Math.max(64 << 10, Math.min(Collective.DEFAULT_MAX_FRAME_BYTES, shard));
        task.add(new Term("frame buffers", 2 * frame, Place.OFF_HEAP, "Collective's send and receive staging", null));
        task.addAll(passes(c, m, cells, taskRows, Trained.whole(params)));
        task.add(new Term("AdamW step", step, Place.OFF_HEAP,
                "a shard's gradient as arrays and two arrays of its largest tensor", null, Held.PHASE));
        task.add(new Term("all-gather copy", tensor, Place.OFF_HEAP, "the largest received tensor as an array",
                null, Held.PHASE));
        task.add(new Term("reduce-scatter buffers", p * shard, Place.HEAP,
                "the largest shard's P - 1 received copies and their sum", null, Held.PHASE));
        task.add(new Term("all-gather buffers", copy + shard, Place.HEAP,
                "the other ranks' shards as received, the shard's sum and its normalised copy", null, Held.PHASE));
        task.add(new Term("checkpoint moments", 2 * shard, Place.HEAP, "the shard's moments as arrays, written or read",
                null, Held.PHASE));
        return new MemoryPlan(params, cells, tasksPerExecutor, List.of(), task, List.of(), true);
    }

    /**
     * Bytes of a model's weights stored as {@code storage}: fp32 throughout, or bf16 matrices (2 bytes)
     * and fp32 norms (LlamaWeights#bf16Copy).
     */
    static long storedBytes(LlamaConfig m, WeightStorage storage) {
        long bytes = 0;
        for (long[] shape : LlamaWeights.shapes(m).values()) {
            long n = 1;
            for (long d : shape) n *= d;
            bytes += n * (shape.length == 2 && storage == WeightStorage.BF16 ? 2 : FLOAT_BYTES);
        }
        return bytes;
    }

    /** Entries of the largest matrix: the embedding (and head), or an MLP projection. */
    static long largestMatrix(LlamaConfig m) {
        return LlamaWeights.shapes(m).values().stream().filter(s -> s.length == 2).mapToLong(s -> s[0] * s[1]).max()
                .orElse(0);
    }

    /**
     * What trains, is broadcast, reduced and stepped: the whole model, or a LoRA run's adapters
     * (docs/design.md 3.4), whose kept passes also hold each targeted projection's branch input
     * {@code u [cells, r]} and, with dropout, its mask {@code [cells, in]}.
     *
     * @param setting the key that lowers it (null for the whole model: only more memory helps)
     */
    private record Trained(boolean lora, long bytes, long branchBytesPerCell, String detail, String setting) {
        static Trained whole(long params) {
            return new Trained(false, params * FLOAT_BYTES, 0,
                    String.format(Locale.ROOT, "fp32, %.3g params", (double) params), null);
        }

        static Trained adapters(LlamaConfig m, LoraConfig lora) {
            long params = 0, branch = 0;
            for (Map.Entry<String, long[]> e : LoraAdapters.shapes(m, lora).entrySet()) {
                long[] shape = e.getValue();
                params += shape[0] * shape[1];
                // per lora_A [r, in] of each layer: the branch input [cells, r] and the dropout mask [cells, in]
                if (e.getKey().endsWith("lora_A.weight")) branch += shape[0] + (lora.dropout() > 0 ? shape[1] : 0);
            }
            return new Trained(true, params * FLOAT_BYTES, branch * FLOAT_BYTES,
                    String.format(Locale.ROOT, "fp32, %.3g adapter params (rank %d)", (double) params, lora.rank()),
                    "lora.rank");
        }
    }

    /**
     * Bytes a kept forward pass holds per row of {@code t} cells, fp32 (ForwardPass, LlamaModel.hidden,
     * Attention.Saved, Mlp.Saved). Per layer: the layer's input x, its two norm outputs and the residual
     * sum x1 {@code [T, D]} each; the two inverse RMS {@code [T, 1]}; the queries and the merged head
     * outputs {@code [H, T, hd]} each; keys and values {@code [KV, T, hd]} each; the MLP's gate, up and
     * gated product {@code [T, I]} each; and the attention probabilities {@code [H, T, T]} when the
     * pass keeps them ({@link LlamaModel#keepsAttentionProbabilities}). Once: the final hidden state
     * and its norm {@code [T, D]}, its inverse RMS and log Z's two parts {@code [T]} each, the mask
     * {@code [T, T]}, and when the probabilities are recomputed, the one layer's that the backward
     * holds at a time (docs/design.md 2.2, "Recomputed probabilities").
     */
    public static long activationBytesPerRow(LlamaConfig m, int t) {
        long d = m.hiddenSize(), hd = m.headDim(), h = m.numAttentionHeads(), kv = m.numKeyValueHeads();
        long probs = h * t * (long) t;
        boolean kept = LlamaModel.keepsAttentionProbabilities(m, t);
        long layer = 4 * t * d + 2L * t + 2 * t * h * hd + 2 * t * kv * hd + 3L * t * m.intermediateSize()
                + (kept ? probs : 0);
        long once = 2 * t * d + 3L * t + (long) t * t + (kept ? 0 : probs);
        return (m.numHiddenLayers() * layer + once) * FLOAT_BYTES;
    }

    /** A decoding cache of {@code rows} rows: keys and values {@code [rows, KV, cells, hd]} per layer (KvCache). */
    public static long kvCacheBytes(LlamaConfig m, int rows, int cells) {
        return 2L * m.numHiddenLayers() * rows * m.numKeyValueHeads() * cells * m.headDim() * FLOAT_BYTES;
    }

    /** A kept pass of {@code rows} rows, which {@code setting} (now {@code value}) bounds. */
    private static Term activations(String name, int rows, int cells, LlamaConfig m, String setting, int value) {
        return new Term(name, rows * activationBytesPerRow(m, cells), Place.OFF_HEAP,
                String.format(Locale.ROOT, "%d rows x %,d cells, %s %d", rows, cells, setting, value), setting, Held.POOLED);
    }

    /**
     * One task's terms at its peak: per place every {@link Held#ALWAYS} term, the largest pass (the
     * passes run one after another, the pool keeps the largest's buffers) and the largest other phase.
     */
    List<Term> perTaskPeakTerms() {
        List<Term> out = new ArrayList<>();
        for (Place place : Place.values()) {
            Term largestPass = largest(place, Held.POOLED), largestPhase = largest(place, Held.PHASE);
            for (Term t : perTask) {
                if (t.place() == place && (t.held() == Held.ALWAYS || t == largestPass || t == largestPhase)) out.add(t);
            }
        }
        return out;
    }

    private Term largest(Place place, Held held) {
        return perTask.stream().filter(t -> t.place() == place && t.held() == held)
                .max(Comparator.comparingLong(Term::bytes)).orElse(null);
    }

    long perTaskBytes(Place place) {
        return sum(perTaskPeakTerms(), place);
    }

    /** One executor's peak in {@code place}: its shared terms and {@link #tasksPerExecutor} tasks. */
    public long executorBytes(Place place) {
        return sum(executorPeakTerms(), place);
    }

    public long executorBytes() {
        return executorBytes(Place.OFF_HEAP) + executorBytes(Place.HEAP);
    }

    public long driverBytes(Place place) {
        return sum(driver, place);
    }

    public long driverBytes() {
        return driverBytes(Place.OFF_HEAP) + driverBytes(Place.HEAP);
    }

    private static long sum(List<Term> terms, Place place) {
        return terms.stream().filter(t -> t.place() == place).mapToLong(Term::bytes).sum();
    }

    /**
     * The terms of one executor at its peak: the shared ones, and each per-task term times the tasks at
     * once, the passes and phases but the largest left out (they run one after another). Their sum is
     * {@link #executorBytes()}.
     */
    public List<Term> executorPeakTerms() {
        List<Term> out = new ArrayList<>(executorShared);
        for (Term t : perTaskPeakTerms()) {
            out.add(new Term(t.name(), t.bytes() * tasksPerExecutor, t.place(), t.detail(), t.setting(), t.held()));
        }
        return out;
    }

    /**
     * Refuses, with one line naming the largest term a key lowers among those a bound counts and the
     * limit to raise, a plan above any of {@code limits}' bounds; otherwise returns normally.
     */
    public void check(MemoryLimits limits) {
        for (MemoryLimits.Bound b : limits.bounds()) {
            long need = b.need(this);
            if (need > b.bytes()) {
                Term largest = b.scope().terms(this).stream().filter(t -> t.setting() != null)
                        .max(Comparator.comparingLong(Term::bytes)).orElse(null);
                String what = largest == null ? "raise " + b.setting() : "the largest term is " + largest.name() + " "
                        + bytes(largest.bytes()) + ": lower " + largest.setting() + " or raise " + b.setting();
                throw new UserInputException("memory plan: " + b.what() + " needs " + bytes(need) + " but "
                        + b.source() + " allows " + bytes(b.bytes()) + "; " + what);
            }
        }
    }

    /**
     * The resident memory (RSS) this plan expects of one JVM: its terms plus the JVM's own
     * ({@link #JVM_OUTSIDE_HEAP}, {@link #HEAP_RUNTIME} up to what {@code heapLimit} leaves above the
     * heap terms). Locally the driver and the executor are one JVM and both count; on a cluster
     * this is the driver's JVM, and {@link #executorResidentEstimate} an executor's. The terms alone
     * were 75% under the measured peak for the embedded model (docs/design.md 3.3).
     */
    public long residentEstimate(boolean local, long heapLimit) {
        long heapTerms = driverBytes(Place.HEAP) + (local ? executorBytes(Place.HEAP) : 0);
        long terms = driverBytes() + (local ? executorBytes() : 0);
        return terms + runtimeBytes(heapTerms, heapLimit);
    }

    /** An executor JVM's resident memory on a cluster: its terms and the JVM's own, as {@link #residentEstimate}. */
    public long executorResidentEstimate(long heapLimit) {
        return executorBytes() + runtimeBytes(executorBytes(Place.HEAP), heapLimit);
    }

    private static long runtimeBytes(long heapTerms, long heapLimit) {
        long heapLeft = heapLimit > 0 ? Math.max(0, heapLimit - heapTerms) : HEAP_RUNTIME;
        return JVM_OUTSIDE_HEAP + Math.min(HEAP_RUNTIME, heapLeft);
    }

    /** One line: what {@link #residentEstimate} expects of this JVM, the figure to compare with its peak RSS. */
    public String residentText(boolean local, long heapLimit) {
        long terms = driverBytes() + (local ? executorBytes() : 0);
        long estimate = residentEstimate(local, heapLimit);
        return String.format(Locale.ROOT, "resident estimate of this JVM: %s (%s %s, and the JVM's own %s: outside"
                        + " the heap, and heap for Spark, the data and garbage)%n", bytes(estimate),
                local ? "local Spark, the driver's and the executor's terms" : "the driver's terms", bytes(terms),
                bytes(estimate - terms));
    }

    /** The plan as lines for the resolved config's printout. */
    public String toText() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "memory plan (fp32 but where a term says bf16, %.3g parameters, rows of"
                + " %,d cells):%n", (double) parameters, cells));
        s.append("executor, shared by its tasks: ").append(barrier ? "nothing (barrier mode: each task is a rank that"
                + " reads its own replica)" : line(executorShared)).append('\n');
        s.append("executor per task: ").append(line(perTask))
                .append(String.format(Locale.ROOT, "; peak %s (the largest pass, whose reused buffers stay, and the"
                                + " largest of the phases besides it: generation%s, one after another)%n",
                        bytes(perTaskBytes(Place.OFF_HEAP) + perTaskBytes(Place.HEAP)),
                        barrier ? ", the AdamW step, the collectives and the checkpoint" : ""));
        s.append(String.format(Locale.ROOT, "executor total at %d task%s at once: %s (off-heap %s, heap %s)%n",
                tasksPerExecutor, tasksPerExecutor == 1 ? "" : "s", bytes(executorBytes()),
                bytes(executorBytes(Place.OFF_HEAP)), bytes(executorBytes(Place.HEAP))));
        s.append("driver: ").append(barrier ? "the run's control only: prompts, metrics, progress, the completion of"
                + " checkpoints (barrier mode: no policy, no AdamW moments, no task results)" : line(driver))
                .append(String.format(Locale.ROOT,
                "; total %s (off-heap %s, heap %s)%n", bytes(driverBytes()), bytes(driverBytes(Place.OFF_HEAP)),
                bytes(driverBytes(Place.HEAP))));
        return s.toString();
    }

    private static String line(List<Term> terms) {
        List<String> parts = new ArrayList<>();
        for (Term t : terms) parts.add(t.name() + " " + bytes(t.bytes()) + " (" + t.detail() + ")");
        return String.join(", ", parts);
    }

    /** Decimal units, as disks and cloud instance sizes count: 12.9 GB, 830 MB. */
    public static String bytes(long b) {
        if (b >= 1_000_000_000L) return String.format(Locale.ROOT, "%.1f GB", b / 1e9);
        if (b >= 1_000_000L) return String.format(Locale.ROOT, "%.0f MB", b / 1e6);
        return String.format(Locale.ROOT, "%.0f kB", b / 1e3);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
