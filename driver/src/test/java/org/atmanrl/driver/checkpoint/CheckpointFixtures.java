package org.atmanrl.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.TinyModels;
import org.atmanrl.model.io.HfConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Small checkpoints with realistic optimizer state, and a bitwise comparison of two checkpoints. */
final class CheckpointFixtures {
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private CheckpointFixtures() {
    }

    /**
     * A checkpoint of a tiny model after a few AdamW steps, so that weights and both moments are
     * arbitrary floats, not zeros or initial values.
     */
    static Checkpoint checkpoint(LlamaConfig config, long step, long seed) {
        LlamaWeights weights = TinyModels.weights(config, seed, DataType.FLOAT);
        AdamW adam = new AdamW(AdamW.Config.defaults(), weights.named());
        train(adam, weights, seed * 100, seed * 100 + 3);
        return new Checkpoint(step, HfConfig.fresh(config), weights,
                Map.of(TOKENIZER_CONFIG, ("{\"seed\": " + seed + "}").getBytes(StandardCharsets.UTF_8)),
                adam.state(), runState(step, seed), ("model: tiny\nseed: " + seed + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static byte[] runState(long step, long seed) {
        return ("{\"step\": " + step + ", \"rng\": " + seed + ", \"data_position\": " + (7 * step) + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * AdamW steps {@code from..to} with gradients that depend on the weights and on the step
     * number only, so that two runs from the same state take the same steps.
     */
    static void train(AdamW adam, LlamaWeights weights, long from, long to) {
        for (long step = from; step < to; step++) {
            Map<String, INDArray> gradients = new LinkedHashMap<>();
            long seed = step * 1000;
            for (Map.Entry<String, INDArray> w : weights.named().entrySet()) {
                INDArray noise = TinyModels.gaussian(DataType.FLOAT, seed++, 0.1, w.getValue().shape());
                gradients.put(w.getKey(), noise.addi(w.getValue().mul(0.5)));
            }
            adam.step(gradients, 1e-2);
            gradients.values().forEach(INDArray::close);
        }
    }

    static void assertBitIdentical(Checkpoint expected, Checkpoint actual) {
        assertEquals(expected.step(), actual.step());
        assertEquals(expected.modelConfig().model(), actual.modelConfig().model());
        assertBitIdentical(expected.weights(), actual.weights());
        assertEquals(expected.modelFiles().keySet(), actual.modelFiles().keySet());
        expected.modelFiles().forEach((name, bytes) -> assertArrayEquals(bytes, actual.modelFiles().get(name), name));
        AdamW.State a = expected.optimizer(), b = actual.optimizer();
        assertEquals(a.step(), b.step());
        assertEquals(a.names(), b.names());
        for (int i = 0; i < a.names().size(); i++) {
            assertArrayEquals(bits(a.firstMoments().get(i)), bits(b.firstMoments().get(i)), "exp_avg." + a.names().get(i));
            assertArrayEquals(bits(a.secondMoments().get(i)), bits(b.secondMoments().get(i)), "exp_avg_sq." + a.names().get(i));
        }
        assertArrayEquals(expected.runState(), actual.runState());
        assertArrayEquals(expected.config(), actual.config());
    }

    static void assertBitIdentical(LlamaWeights expected, LlamaWeights actual) {
        Map<String, INDArray> a = expected.named(), b = actual.named();
        assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()));
        for (String name : a.keySet()) {
            assertArrayEquals(a.get(name).shape(), b.get(name).shape(), name);
            assertArrayEquals(bits(a.get(name).dup('c').data().asFloat()), bits(b.get(name).dup('c').data().asFloat()), name);
        }
    }

    static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return bits;
    }
}
