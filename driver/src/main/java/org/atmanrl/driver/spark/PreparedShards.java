package org.atmanrl.driver.spark;

import java.util.HashMap;
import java.util.Map;
import org.atmanrl.executor.task.TaskStep;

/**
 * The prepared shards (rollouts, rewards, fixed log-probabilities) an executor keeps for the
 * further updates of a step when {@code mu > 1}, keyed by run, step and partition. Only the newest
 * step is kept. A task that finds nothing (it runs on another executor than the step's first
 * update did, or this one was lost) prepares its shard again from the step's starting policy,
 * which gives the same rollouts, because every draw is keyed by (seed, step, prompt, rollout).
 */
final class PreparedShards {
    private static final Map<String, TaskStep.Prepared> shards = new HashMap<>();
    private static String current = "";

    private PreparedShards() {}

    static synchronized void put(String runId, long step, int partition, TaskStep.Prepared p) {
        String stepKey = runId + "/" + step;
        if (!stepKey.equals(current)) {
            shards.clear();
            current = stepKey;
        }
        shards.put(stepKey + "/" + partition, p);
    }

    static synchronized TaskStep.Prepared get(String runId, long step, int partition) {
        return shards.get(runId + "/" + step + "/" + partition);
    }
}
