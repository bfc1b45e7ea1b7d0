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
    private static ExecutorModels current;

    private final String runId;
    private final LlamaWeights weights;
    final LlamaModel policy;
    final LlamaModel reference;
    final Tokenizer tokenizer;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long version = Long.MIN_VALUE;

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
        ExecutorModels m;
        synchronized (ExecutorModels.class) {
            if (current == null || !current.runId.equals(run.runId())) {
                if (current != null) current.close();
                current = new ExecutorModels(run, snapshot);
            }
            m = current;
        }
        m.lock.readLock().lock();
        if (m.version != snapshot.version()) {
            m.lock.readLock().unlock();
            m.lock.writeLock().lock();
            try {
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

    void release() {
        lock.readLock().unlock();
    }

    private void close() {
        lock.writeLock().lock();
        try {
            weights.close();
            tokenizer.close();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
