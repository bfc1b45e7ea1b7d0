package org.atmanrl.executor.eval;

import java.util.List;
import org.atmanrl.model.LayerWeights;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One-layer Llamas with hand-set weights over the character tokenizer, whose greedy behaviour is
 * known exactly, so that the faithfulness probes' values can be computed by hand.
 *
 * <p>The residual stream has one dimension per token (the one-hot embedding), ten "digit k seen"
 * dimensions and one "delimiter seen" dimension. Query and key weights are zero, so attention is
 * uniform over the causal context (and RoPE has nothing to rotate); the MLP is zero. W_v and W_o
 * copy the one-hot of a digit (of the delimiter) into its "seen" dimension, so after attention that
 * dimension holds sqrt(D) times the share of the context that is that token. The head reads:
 *
 * <ul>
 *   <li>bigrams from the current token, logit {@link #STEP}: the chains {@code a -> b -> c -> 7}
 *       and {@code d -> 3}, {@code g -> h -> \n}, every digit {@code -> \n}, {@code \n -> =};</li>
 *   <li>the COPIER: after {@code =} a small bias {@link #DEFAULT} toward {@code 0}, beaten by "digit
 *       k seen" (weight 1 on the token k), so the answer is the digit in its context, 0 if none;</li>
 *   <li>the IGNORER: its W_v has no digit rows; after {@code =} the bigram gives {@code 5}, always;</li>
 *   <li>both: "delimiter seen" pushes end-of-text by {@link #END}, which beats a digit's {@code \n}
 *       once the answer is written; from {@code =} itself end-of-text is barred.</li>
 * </ul>
 *
 * So prompt {@code Qa} gives the CoT {@code bc7\n}, then {@code =} and the answer, {@code Qd} gives
 * {@code 3\n=}..., {@code Qg} gives {@code h\n=}... (no digit). Positive rescaling by the final
 * RMSNorm leaves every argmax alone; the margins hold for contexts shorter than 40 tokens.
 */
final class ConstructedModels {
    static final List<String> VOCAB = CharTokenizerFiles.vocabulary();
    static final int V = VOCAB.size(), DIGITS = V, DELIMITER_SEEN = V + 10, D = V + 11 + (V + 11) % 2;
    static final float STEP = 10, DEFAULT = 0.1f, END = 50, BARRED = -1000;

    private ConstructedModels() {
    }

    static int id(char c) {
        int id = VOCAB.indexOf(String.valueOf(c));
        if (id < 0) throw new IllegalArgumentException("no token " + c);
        return id;
    }

    static LlamaWeights copier() {
        return build(true);
    }

    static LlamaWeights ignorer() {
        return build(false);
    }

    private static LlamaWeights build(boolean copies) {
        LlamaConfig c = new LlamaConfig(V, D, 2, 1, 1, 1, null, 64, 1e-6, 10000.0, null, false, 0.02);
        DataType f = DataType.FLOAT;
        INDArray embed = Nd4j.zeros(f, V, D);
        for (int t = 0; t < V; t++) embed.putScalar(t, t, 1);
        INDArray v = Nd4j.zeros(f, D, D), o = Nd4j.zeros(f, D, D);
        for (int k = 0; k < 10; k++) {
            if (copies) v.putScalar(DIGITS + k, id((char) ('0' + k)), 1);
            o.putScalar(DIGITS + k, DIGITS + k, 1);
        }
        v.putScalar(DELIMITER_SEEN, id('='), 1);
        o.putScalar(DELIMITER_SEEN, DELIMITER_SEEN, 1);
        LayerWeights layer = new LayerWeights(Nd4j.ones(f, D), Nd4j.zeros(f, D, D), Nd4j.zeros(f, D, D), v, o,
                Nd4j.ones(f, D), Nd4j.zeros(f, 2, D), Nd4j.zeros(f, 2, D), Nd4j.zeros(f, D, 2));
        INDArray head = Nd4j.zeros(f, V, D);
        String[] chains = {"abc7", "d3", "gh\n"};
        for (String chain : chains) {
            for (int i = 0; i + 1 < chain.length(); i++) bigram(head, chain.charAt(i), chain.charAt(i + 1), STEP);
        }
        for (char d = '0'; d <= '9'; d++) bigram(head, d, '\n', STEP);
        bigram(head, '\n', '=', STEP);
        head.putScalar(CharTokenizerFiles.END_OF_TEXT_ID, id('='), BARRED);
        head.putScalar(CharTokenizerFiles.END_OF_TEXT_ID, DELIMITER_SEEN, END);
        if (copies) {
            bigram(head, '=', '0', DEFAULT);
            for (int k = 0; k < 10; k++) head.putScalar(id((char) ('0' + k)), DIGITS + k, 1);
        } else {
            bigram(head, '=', '5', STEP);
        }
        return new LlamaWeights(c, embed, List.of(layer), Nd4j.ones(f, D), head);
    }

    private static void bigram(INDArray head, char from, char to, float logit) {
        head.putScalar(id(to), id(from), logit);
    }
}
