package org.atmanrl.driver.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.BufferPool;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.text.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model an executor JVM keeps between steps: built once per run from the broadcast
 * {@link RunResources} (weights, tokenizer, reference policy), then, each step, only the policy's
 * values are copied in from the new {@link PolicySnapshot}, into the same arrays. Tasks of one step
 * running side by side share it read-only; the copy for the next version waits for them. With LoRA
 * (docs/design.md 3.4) the base is read once from the model path through Hadoop FileSystem and kept
 * for the run; the snapshots carry the adapters, copied into the adapters' arrays, and the
 * reference model (beta > 0) is the same base with no adapters: no second copy. The run's
 * weight_storage stores the base, the reference and the policy copy in bf16 when asked
 * (docs/design.md 3.4, "bf16 storage").
 */
final class ExecutorModels {
    /**
     * Models kept per executor JVM, one per run; more than one only when runs share the executors
     * at once (sweep's parallel_points), which sets it: with one, two runs' tasks in turn would
     * rebuild the model at every task.
     */
    static final String CAPACITY_KEY = "spark.atmanrl.executor.models";
    /** Least recently used first. */
    private static final java.util.LinkedHashMap<String, ExecutorModels> cache = new java.util.LinkedHashMap<>(4, 0.75f, true);

    private final String runId;
    private final LlamaWeights weights;
    private final LoraAdapters adapters;
    /** The arrays each snapshot is copied into: the whole model's, or the adapters'. */
    private final Map<String, INDArray> trained;
    final LlamaModel policy;
    final LlamaModel reference;
    final Tokenizer tokenizer;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long version = Long.MIN_VALUE;
    /** Set under the write lock when evicted: a task that fetched it just before must fetch again. */
    private boolean closed;

    private ExecutorModels(RunResources run, PolicySnapshot first) {
        this.runId = run.runId();
        HfConfig config = HfConfig.parse("config.json of run " + runId, run.modelConfigJson());
        WeightStorage storage = run.weightStorage();
        if (run.lora() == null) {
            // the policy copy is refreshed from each snapshot; bf16 storage rounds it (opt-in: the numerics change),
            // and a snapshot already rounded on the driver widens exactly and rounds back to the same bits
            this.weights = storage.store(first.toWeights(config.model(), DataType.FLOAT));
            this.adapters = null;
            this.trained = weights.named();
            this.policy = new LlamaModel(weights);
            this.reference = run.reference() == null ? null
                    : new LlamaModel(storage.store(run.reference().toWeights(config.model(), DataType.FLOAT)));
        } else {
            this.weights = readBase(run.basePath(), config, storage);
            this.adapters = first.toAdapters(config.model(), run.lora(), DataType.FLOAT);
            this.trained = adapters.named();
            this.policy = new LlamaModel(weights, adapters);
            this.reference = new LlamaModel(weights); // used only when beta > 0; shares the base's arrays
        }
        this.version = first.version();
        this.tokenizer = Tokenizer.fromJson("run " + runId, run.tokenizerJson(), run.tokenizerConfigJson());
    }

    /**
     * The models of {@code run} at {@code snapshot}'s version, read-locked: the caller must
     * {@link #release} them when its task is done.
     */
    static ExecutorModels acquire(RunResources run, PolicySnapshot snapshot) {
        while (true) {
            ExecutorModels m;
            synchronized (ExecutorModels.class) {
                m = cache.get(run.runId());
                if (m == null) {
                    int capacity = capacity();
                    while (cache.size() >= capacity) {
                        var eldest = cache.entrySet().iterator();
                        ExecutorModels evicted = eldest.next().getValue();
                        eldest.remove();
                        evicted.close(); // waits for the tasks still reading it
                    }
                    m = new ExecutorModels(run, snapshot);
                    cache.put(run.runId(), m);
                }
            }
            m.lock.readLock().lock();
            if (m.closed) {
                m.lock.readLock().unlock();
                continue;
            }
            if (m.version != snapshot.version()) {
                m.lock.readLock().unlock();
                m.lock.writeLock().lock();
                try {
                    if (m.closed) continue;
                    if (m.version != snapshot.version()) {
                        snapshot.copyInto(m.trained);
                        m.version = snapshot.version();
                    }
                    m.lock.readLock().lock(); // downgrade: keep reading what was just written
                } finally {
                    m.lock.writeLock().unlock();
                }
            }
            return m;
        }
    }

    /** The base model of a LoRA run, from its directory through the executor's Hadoop configuration. */
    private static LlamaWeights readBase(String dir, HfConfig config, WeightStorage storage) {
        Path path = new Path(dir);
        try {
            return ModelDirectory.readWeights(HadoopFiles.fileSystem(path, hadoopConfiguration()), path, config.model(),
                    storage.loadType());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the LoRA base " + dir + " on an executor: " + e.getMessage(), e);
        }
    }

    /** The executor's Hadoop configuration, as Spark hands it to tasks (a plain one outside Spark). */
    static Configuration hadoopConfiguration() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env == null ? new Configuration()
                : org.apache.spark.deploy.SparkHadoopUtil.get().newConfiguration(env.conf());
    }

    private static int capacity() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env == null ? 1 : Math.max(1, env.conf().getInt(CAPACITY_KEY, 1));
    }

    /**
     * Lets go of the models after a task's passes, and parks the thread's reused buffers for the next
     * task: Spark's task threads are pooled and any of them may run it (docs/design.md 6.1, "Reused
     * buffers").
     */
    void release() {
        lock.readLock().unlock();
        BufferPool.park();
    }

    private void close() {
        lock.writeLock().lock();
        try {
            closed = true;
            weights.close();
            if (adapters != null) adapters.close();
            tokenizer.close();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
