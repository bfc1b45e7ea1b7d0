package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The attention-bias hook (docs/design.md 2.2): a zero bias is the unmodified model; a -1e9 bias
 * hides the key.
 */
class AttentionBiasHookTest {

    @Test
    void zeroBiasEqualsNoHookExactly() {
        for (LlamaConfig c : TinyModels.all(0.2)) {
            LlamaModel model = new LlamaModel(TinyModels.weights(c, 5, DataType.FLOAT));
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 2, 9, 5));
            assertArrayEquals(model.logProbs(tb, null),
                    model.logProbs(tb, Nd4j.zeros(DataType.FLOAT, tb.batch(), tb.length())));
        }
    }

    @Test
    void hugeNegativeBiasEqualsHidingTheKey() {
        for (LlamaConfig c : TinyModels.all(0.2)) {
            LlamaModel model = new LlamaModel(TinyModels.weights(c, 6, DataType.FLOAT));
            TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 3, 9, 6));
            int row = 0, key = 3;
            INDArray bias = Nd4j.zeros(DataType.FLOAT, tb.batch(), tb.length());
            bias.putScalar(row, key, -1e9);
            double[] biased = model.logProbs(tb, bias);
            double[] hidden = model.logProbs(tb.withHidden(row, key), null);
            assertArrayEquals(hidden, biased);
            assertFalse(java.util.Arrays.equals(model.logProbs(tb, null), biased),
                    "hiding a key must change later log-probs");
        }
    }
}
