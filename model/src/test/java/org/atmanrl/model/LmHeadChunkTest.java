package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The LM head in chunks of cells (docs/design.md 6.1) against the same head in one chunk: the
 * log-probabilities, and the weight and attention-bias gradients through the whole backward, with
 * chunks of 1 and 5 cells, which do not divide the batch's cells, so a last, shorter chunk runs too.
 */
class LmHeadChunkTest {
    /** Rows of 9, 12 and 7 tokens: 3 x 11 = 33 cells with a target each or none. */
    private static final int[] LENGTHS = {9, 12, 7};
    private static final int[] CHUNKS = {1, 5};

    @Test
    void chunkedLogProbsEqualOneChunk() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            compareLogProbs(c, DataType.FLOAT, 1e-6);
            compareLogProbs(c, DataType.DOUBLE, 1e-12);
        }
    }

    @Test
    void chunkedGradientsEqualOneChunk() {
        for (LlamaConfig c : TinyModels.all(0.3)) {
            LlamaWeights w = TinyModels.weights(c, 5, DataType.DOUBLE);
            TokenBatch tb = batch(c);
            try (Gradients one = gradients(new LlamaModel(w, tb.tokens()), tb)) {
                for (int chunk : CHUNKS) {
                    try (Gradients chunked = gradients(new LlamaModel(w, chunk), tb)) {
                        Map<String, INDArray> a = one.weights().named(), b = chunked.weights().named();
                        for (String name : a.keySet()) {
                            assertClose(a.get(name), b.get(name), 1e-10, c + " chunk " + chunk + " " + name);
                        }
                        assertClose(one.bias(), chunked.bias(), 1e-10, c + " chunk " + chunk + " bias");
                    }
                }
            }
        }
    }

    @Test
    void chunkedPassIsBitIdenticalAcrossRuns() {
        LlamaConfig c = TinyModels.gqaUntiedScaled(0.3);
        LlamaWeights w = TinyModels.weights(c, 6, DataType.FLOAT);
        TokenBatch tb = batch(c);
        LlamaModel model = new LlamaModel(w, 1); // 33 chunks: the most orders a sum could take
        assertArrayEquals(model.logProbs(tb, null), model.logProbs(tb, null));
        try (Gradients first = gradients(model, tb); Gradients second = gradients(model, tb)) {
            Map<String, INDArray> a = first.weights().named(), b = second.weights().named();
            // INDArray.equals allows a difference of 1e-5; the bits must match
            for (String name : a.keySet()) {
                assertArrayEquals(a.get(name).data().asDouble(), b.get(name).data().asDouble(), name);
            }
            assertArrayEquals(first.bias().data().asDouble(), second.bias().data().asDouble(), "bias");
        }
    }

    @Test
    void chunkSizeFollowsTheByteBudget() {
        assertEquals(1024, LmHead.chunkCells(8192, DataType.FLOAT));      // bench's mid config
        assertEquals(512, LmHead.chunkCells(8192, DataType.DOUBLE));
        assertEquals(128, LmHead.chunkCells(128256, DataType.FLOAT));     // Llama 3: the floor
    }

    private static void compareLogProbs(LlamaConfig c, DataType dt, double tolerance) {
        LlamaWeights w = TinyModels.weights(c, 4, dt);
        TokenBatch tb = batch(c);
        INDArray bias = TinyModels.gaussian(dt, 8, 1.0, tb.batch(), tb.length());
        double[] one = new LlamaModel(w, tb.tokens()).logProbs(tb, bias);
        for (int chunk : CHUNKS) {
            double[] chunked = new LlamaModel(w, chunk).logProbs(tb, bias);
            for (int i = 0; i < one.length; i++) {
                assertEquals(one[i], chunked[i], tolerance, c + " " + dt + " chunk " + chunk + " cell " + i);
            }
        }
    }

    private static TokenBatch batch(LlamaConfig c) {
        TokenBatch tb = TokenBatch.forScoring(TinyModels.sequences(c.vocabSize(), 7, LENGTHS));
        assertNotEquals(0, tb.tokens() % CHUNKS[1], "the chunk must not divide the cells");
        return tb;
    }

    /** Weight and bias gradients of a weighted sum of log-probabilities, with an attention bias active. */
    private static Gradients gradients(LlamaModel model, TokenBatch tb) {
        DataType dt = model.dataType();
        INDArray bias = TinyModels.gaussian(dt, 9, 1.0, tb.batch(), tb.length());
        double[] cellWeights = GradientCheckTest.cellWeights(tb, 17);
        try (ForwardPass fp = model.forward(tb, bias)) {
            return fp.backward(cellWeights, true, true);
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, double tolerance, String what) {
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= tolerance, what + ": max difference " + diff);
    }
}
