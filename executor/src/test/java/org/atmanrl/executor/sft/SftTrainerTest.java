package org.atmanrl.executor.sft;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TokenBatch;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The SFT loop's loss mask and its reproducibility. */
class SftTrainerTest {

    @Test
    void onlyCellsPredictingCompletionTokensCarryLoss() {
        List<int[]> seqs = List.of(new int[] {1, 5, 6, 7, 8}, new int[] {1, 5, 9});
        TokenBatch tb = TokenBatch.forScoring(seqs);
        double[] w = SftTrainer.completionWeights(tb, seqs, List.of(3, 2));
        // row 0: prompt 1 5 6, completion 7 8 -> cells 2 (predicts 7) and 3 (predicts 8)
        // row 1: prompt 1 5, completion 9 -> cell 1 (predicts 9); 3 completion tokens in all
        double third = -1.0 / 3;
        assertArrayEquals(new double[] {0, 0, third, third, 0, third, 0, 0}, w, 1e-15);
    }

    @Test
    void theSameSeedTrainsTheSameWeightsBitForBit() {
        SftConfig config = with(SftConfig.defaults(), "steps", 3, "warmupSteps", 1, "batchSize", 8, "evalEvery", 3,
                "evalSize", 4, "seed", 7);
        try (EmbeddedData data = new EmbeddedData(ArithmeticDifficulty.DEFAULT, 0, 4)) {
            float[][] a = train(config, data), b = train(config, data);
            for (int i = 0; i < a.length; i++) assertArrayEquals(a[i], b[i], "tensor " + i);
            float[][] c = train(with(config, "seed", 8), data);
            boolean differs = false;
            for (int i = 0; i < a.length; i++) differs |= !java.util.Arrays.equals(a[i], c[i]);
            assertTrue(differs, "another seed draws other batches");
        }
    }

    @Test
    void lossFallsOnTheTask() {
        SftConfig config = with(SftConfig.defaults(), "steps", 30, "warmupSteps", 5, "batchSize", 16,
                "evalEvery", 30, "evalSize", 4);
        try (EmbeddedData data = new EmbeddedData(ArithmeticDifficulty.DEFAULT, 0, 4);
             LlamaWeights w = LlamaWeights.random(EmbeddedModel.config(), 1, DataType.FLOAT)) {
            List<SftTrainer.Progress> log = new SftTrainer(config, data.encoder, p -> { }).train(w, data.train, null, data.test);
            assertEquals(30, log.size());
            double first = log.get(0).loss(), last = log.get(29).loss();
            assertTrue(first > Math.log(40), "starts near uniform over the vocabulary: " + first);
            assertTrue(last < 0.7 * first, "mean NLL " + first + " -> " + last);
            assertFalse(Double.isNaN(last));
        }
    }

    private static float[][] train(SftConfig config, EmbeddedData data) {
        try (LlamaWeights w = LlamaWeights.random(EmbeddedModel.config(), 0, DataType.FLOAT)) {
            new SftTrainer(config, data.encoder, p -> { }).train(w, data.train, null, data.test);
            List<float[]> out = new ArrayList<>();
            w.named().values().forEach(a -> out.add(a.data().asFloat()));
            return out.toArray(new float[0][]);
        }
    }
}
