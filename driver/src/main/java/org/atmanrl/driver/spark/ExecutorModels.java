package org.atmanrl.driver.spark;

import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.text.Tokenizer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The model an executor JVM keeps between steps: built once per run from the broadcast
 * {@link RunResources} (weights, tokenizer, reference policy), then, each step, only the policy's
 * values are copied in from the new {@link PolicySnapshot}, into the same arrays. Tasks of one step
 * running side by side share it read-only; the copy for the next version waits for them.
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
        this.weights = first.toWeights(config.model(), DataType.FLOAT);
        this.version = first.version();
        this.policy = new LlamaModel(weights);
        this.reference = run.reference() == null ? null
                : new LlamaModel(run.reference().toWeights(config.model(), DataType.FLOAT));
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
                        snapshot.copyInto(m.weights);
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

    private static int capacity() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return env == null ? 1 : Math.max(1, env.conf().getInt(CAPACITY_KEY, 1));
    }

    void release() {
        lock.readLock().unlock();
    }

    private void close() {
        lock.writeLock().lock();
        try {
            closed = true;
            weights.close();
            tokenizer.close();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
