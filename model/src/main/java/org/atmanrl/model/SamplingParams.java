package org.atmanrl.model;

import org.atmanrl.model.check.Range;

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
    public static final Range TEMPERATURE = Range.atLeast(0);
    public static final Range TOP_P = Range.openClosed(0, 1);
    /**
     * Upper bounds that keep every product of them in range (docs/design.md 4): top_k above any
     * Llama vocabulary (128,256) is off anyway; a completion longer than 131,072 tokens (Llama 3.1's
     * context) fits no supported model.
     */
    public static final int MAX_TOP_K = 1 << 20, MAX_COMPLETION_TOKENS = 1 << 17;
    public static final Range TOP_K = Range.closed(0, MAX_TOP_K);
    public static final Range MAX_NEW_TOKENS = Range.closed(1, MAX_COMPLETION_TOKENS);

    public SamplingParams {
        TEMPERATURE.check("temperature", temperature);
        TOP_P.check("top_p", topP);
        TOP_K.check("top_k", topK);
        MAX_NEW_TOKENS.check("max_new_tokens", maxNewTokens);
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
