package org.atmanrl.executor.rollout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.RowRandom;
import org.atmanrl.model.Sampler;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.reward.data.Problem;

/**
 * Completions for problems, {@code perProblem} each, in passes of at most {@code maxRows} rows.
 * Row {@code (problem, r)} draws from the key {@code (hash of the problem id, r)} under {@code
 * seed}, so a completion depends only on the run seed, the step (folded into {@code seed} by the
 * caller), the problem and the rollout index: not on the batch, the pass or the partition.
 */
public final class Rollouts {
    private Rollouts() {
    }

    /** The completion ids (stop token included when one was produced), problem-major. */
    public static List<int[]> generate(LlamaModel model, List<Problem> problems, int perProblem, long seed,
                                       SamplingParams params, int maxRows) {
        List<int[]> prompts = new ArrayList<>();
        for (Problem p : problems) {
            for (int r = 0; r < perProblem; r++) prompts.add(p.promptIds());
        }
        long[] keys = rowKeys(problems, perProblem);
        List<int[]> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += maxRows) {
            int to = Math.min(prompts.size(), from + maxRows);
            out.addAll(Sampler.generate(model, prompts.subList(from, to), Arrays.copyOfRange(keys, from, to), seed,
                    params));
        }
        return out;
    }

    /**
     * Each row's stable key, problem-major: {@code (hash of the problem id, rollout index)}. What a
     * row's draws are keyed by, in sampling and in LoRA dropout (docs/design.md 3.1).
     */
    public static long[] rowKeys(List<Problem> problems, int perProblem) {
        long[] keys = new long[problems.size() * perProblem];
        int i = 0;
        for (Problem p : problems) {
            long key = stableKey(p.id());
            for (int r = 0; r < perProblem; r++) keys[i++] = RowRandom.mix(key, r);
        }
        return keys;
    }

    /** The completion without its final stop token, if it ends with one. */
    public static int[] withoutStop(int[] completion, int stopToken) {
        return completion.length > 0 && completion[completion.length - 1] == stopToken
                ? Arrays.copyOf(completion, completion.length - 1) : completion;
    }

    /** A 64-bit key of a problem id (FNV-1a over its UTF-8 bytes): stable across JVMs, unlike hashCode's 32 bits. */
    public static long stableKey(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
