package org.atmanrl.driver.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.network.util.JavaUtils;
import org.atmanrl.driver.UserInputException;

/**
 * The memory a {@link MemoryPlan} is checked against (docs/design.md 3.3): what this JVM can see and
 * what the Spark settings state. Locally the driver and the executor are this JVM, so their needs add
 * up against its heap ({@code Runtime.maxMemory()}, set by {@code ATMANRL_HEAP}) and ND4J's off-heap
 * limit (JavaCPP's {@code maxbytes}, which defaults to the heap's size). On a cluster the driver is
 * this JVM, and an executor is checked only when {@code spark.executor.memory} is given: heap and
 * off-heap together against it plus {@code spark.executor.memoryOverhead} (Spark's default, the
 * larger of 384 MiB and a tenth, when not given), the container's size. When
 * {@link #GPU_MEMORY} is given (spark-submit {@code --conf}; Spark has no setting for a GPU's
 * memory, only for how many an executor gets), the off-heap terms of an executor (locally of the
 * driver and executor) are also checked against it: with ND4J's CUDA backend the arrays live on
 * the device.
 *
 * @param local            whether the master is {@code local[...]} (or none: {@code local[*]})
 * @param tasksPerExecutor tasks at once in one executor, at most the partitions
 * @param bounds           what is compared, each a need and a limit
 */
public record MemoryLimits(boolean local, int tasksPerExecutor, List<Bound> bounds) {
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");
    private static final long MIB = 1L << 20, MIN_OVERHEAD = 384 * MIB;
    /** The memory of the one GPU each executor computes on, in Spark's byte-string form (e.g. {@code 80g}). */
    public static final String GPU_MEMORY = "spark.atmanrl.executor.gpuMemory";

    /**
     * One comparison: {@code need} of a plan against {@code bytes}.
     *
     * @param what    whose memory, for the refusal ("the driver and executor off-heap")
     * @param source  where the limit comes from
     * @param setting what raises it
     */
    public record Bound(String what, long bytes, String source, String setting, Scope scope) {
        public Bound {
            if (scope == null) throw new IllegalArgumentException("a bound needs its scope");
        }

        public long need(MemoryPlan plan) {
            return scope.terms(plan).stream().mapToLong(MemoryPlan.Term::bytes).sum();
        }
    }

    /**
     * The terms a bound counts: whose (the driver's, an executor's or both, as in one local JVM) and
     * where (off-heap, heap, or both when null), with an executor's per-task phases at their peak.
     */
    public record Scope(boolean driver, boolean executor, MemoryPlan.Place place) {
        public Scope {
            if (!driver && !executor) throw new IllegalArgumentException("a scope counts the driver, an executor or both");
        }

        List<MemoryPlan.Term> terms(MemoryPlan plan) {
            List<MemoryPlan.Term> out = new ArrayList<>();
            if (driver) out.addAll(plan.driver());
            if (executor) out.addAll(plan.executorPeakTerms());
            return out.stream().filter(t -> place == null || t.place() == place).toList();
        }
    }

    public MemoryLimits {
        if (tasksPerExecutor < 1) throw new IllegalArgumentException("tasks per executor must be >= 1");
        bounds = List.copyOf(bounds);
    }

    /**
     * The limits for a run: {@code spark} holds the Spark settings the run starts with (SparkSetup.conf:
     * spark-submit's, then the config's master), {@code heap} and {@code offHeap} this JVM's (0: no
     * limit), {@code cores} its processors.
     */
    public static MemoryLimits of(Map<String, String> spark, int partitions, long heap, long offHeap, int cores) {
        String master = spark.getOrDefault("spark.master", "local[*]");
        Matcher local = LOCAL.matcher(master);
        List<Bound> bounds = new ArrayList<>();
        String jvmHeap = "the JVM's heap (-Xmx)", nd4j = "ND4J's off-heap limit (org.bytedeco.javacpp.maxbytes)";
        if (local.matches()) {
            String threads = local.group(1);
            int tasks = Math.min(partitions, threads == null ? 1 : threads.equals("*") ? cores : Integer.parseInt(threads));
            tasks = Math.max(1, tasks);
            if (offHeap > 0) {
                bounds.add(new Bound("the driver and executor off-heap", offHeap, nd4j, "ATMANRL_HEAP",
                        new Scope(true, true, MemoryPlan.Place.OFF_HEAP)));
            }
            bounds.add(new Bound("the driver and executor heap", heap, jvmHeap, "ATMANRL_HEAP",
                    new Scope(true, true, MemoryPlan.Place.HEAP)));
            gpu(spark, new Scope(true, true, MemoryPlan.Place.OFF_HEAP)).ifPresent(bounds::add);
            return new MemoryLimits(true, tasks, bounds);
        }
        int tasks = 1;
        if (spark.containsKey("spark.executor.cores")) {
            int cpus = Integer.parseInt(spark.getOrDefault("spark.task.cpus", "1"));
            tasks = Math.max(1, Integer.parseInt(spark.get("spark.executor.cores")) / cpus);
        }
        tasks = Math.max(1, Math.min(partitions, tasks));
        if (offHeap > 0) {
            bounds.add(new Bound("the driver off-heap", offHeap, nd4j, "spark.driver.memory",
                    new Scope(true, false, MemoryPlan.Place.OFF_HEAP)));
        }
        bounds.add(new Bound("the driver heap", heap, jvmHeap, "spark.driver.memory",
                new Scope(true, false, MemoryPlan.Place.HEAP)));
        String memory = spark.get("spark.executor.memory");
        if (memory != null) {
            // Spark reads both in MiB when no unit is given
            long executor = JavaUtils.byteStringAsMb(memory) * MIB;
            String overheadText = spark.get("spark.executor.memoryOverhead");
            long overhead = overheadText != null ? JavaUtils.byteStringAsMb(overheadText) * MIB
                    : Math.max(MIN_OVERHEAD, executor / 10);
            bounds.add(new Bound("an executor", executor + overhead,
                    "spark.executor.memory + spark.executor.memoryOverhead", "spark.executor.memory",
                    new Scope(false, true, null)));
        }
        gpu(spark, new Scope(false, true, MemoryPlan.Place.OFF_HEAP)).ifPresent(bounds::add);
        return new MemoryLimits(false, tasks, bounds);
    }

    /** The GPU's memory as a bound on {@code scope}'s device arrays, when {@link #GPU_MEMORY} is given. */
    private static Optional<Bound> gpu(Map<String, String> spark, Scope scope) {
        String text = spark.get(GPU_MEMORY);
        if (text == null) {
            return Optional.empty();
        }
        long bytes;
        try {
            bytes = JavaUtils.byteStringAsBytes(text);
        } catch (NumberFormatException e) {
            throw new UserInputException(GPU_MEMORY + " is '" + text + "'; expected a size such as 80g or 24576m");
        }
        if (bytes <= 0) {
            throw new UserInputException(GPU_MEMORY + " is '" + text + "'; expected a size above 0, such as 80g");
        }
        String what = scope.driver() ? "the driver and executor GPU" : "an executor's GPU";
        return Optional.of(new Bound(what, bytes, GPU_MEMORY, GPU_MEMORY, scope));
    }
}
