package org.atmanrl.model;

/**
 * How rollouts are drawn. HF's warper order: temperature, then top-k, then top-p.
 *
 * @param temperature  0 for greedy decoding, otherwise the softmax temperature (> 0)
 * @param topP         nucleus mass in (0, 1]; 1 turns it off
 * @param topK         keep the k most likely tokens; 0 turns it off
 * @param maxNewTokens most tokens generated per row
 * @param stopTokens   tokens that end a row (kept as its last token), e.g. end-of-sequence
 */
public record SamplingParams(double temperature, double topP, int topK, int maxNewTokens, int[] stopTokens)
        implements java.io.Serializable {
    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("max_new_tokens must be > 0, got " + maxNewTokens);
        }
        stopTokens = stopTokens == null ? new int[0] : stopTokens.clone();
    }

    public static SamplingParams greedy(int maxNewTokens, int... stopTokens) {
        return new SamplingParams(0, 1, 0, maxNewTokens, stopTokens);
    }

    boolean isStop(int token) {
        for (int s : stopTokens) {
            if (s == token) return true;
        }
        return false;
    }
}
