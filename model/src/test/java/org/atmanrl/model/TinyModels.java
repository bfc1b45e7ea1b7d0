package org.atmanrl.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small configs covering the architecture's switches, and helpers to build test inputs. */
public final class TinyModels {
    private TinyModels() {}

    /**
     * Llama 3 rope scaling with a short original context, so that at these tiny head sizes some
     * frequencies are divided by the factor, some smoothed and some kept (all three branches).
     */
    public static final LlamaConfig.RopeScaling SCALING = new LlamaConfig.RopeScaling("llama3", 4.0, 1.0, 4.0, 16);

    /** GQA (4 query heads on 2 KV heads), untied head, head_dim given explicitly, rope scaling on. */
    public static LlamaConfig gqaUntiedScaled(double initRange) {
        return new LlamaConfig(13, 8, 12, 2, 4, 2, 4, 64, 1e-5, 10000.0, SCALING, false, initRange);
    }

    /** Multi-query (4 query heads on 1 KV head), tied head, no rope scaling. */
    public static LlamaConfig mqaTied(double initRange) {
        return new LlamaConfig(11, 8, 12, 2, 4, 1, null, 64, 1e-6, 500.0, null, true, initRange);
    }

    /** Plain multi-head (2 query and 2 KV heads), tied head, rope scaling on. */
    public static LlamaConfig mhaTiedScaled(double initRange) {
        return new LlamaConfig(9, 12, 16, 1, 2, 2, null, 64, 1e-5, 10000.0, SCALING, true, initRange);
    }

    public static List<LlamaConfig> all(double initRange) {
        return List.of(gqaUntiedScaled(initRange), mqaTied(initRange), mhaTiedScaled(initRange));
    }

    /** Random weights with the norm gains moved away from 1, so their gradients are exercised too. */
    public static LlamaWeights weights(LlamaConfig c, long seed, DataType dt) {
        LlamaWeights w = LlamaWeights.random(c, seed, dt);
        SplittableRandom rng = new SplittableRandom(seed + 1);
        for (var e : w.named().entrySet()) {
            if (e.getKey().contains("norm")) {
                INDArray a = e.getValue();
                for (long i = 0; i < a.length(); i++) {
                    a.putScalar(i, 1 + 0.3 * rng.nextGaussian());
                }
            }
        }
        return w;
    }

    public static int[] tokens(int vocab, int length, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] t = new int[length];
        for (int i = 0; i < length; i++) t[i] = rng.nextInt(vocab);
        return t;
    }

    public static List<int[]> sequences(int vocab, long seed, int... lengths) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) out.add(tokens(vocab, lengths[i], seed * 31 + i));
        return out;
    }

    public static INDArray gaussian(DataType dt, long seed, double std, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        INDArray a = Nd4j.zeros(dt, shape);
        for (long i = 0; i < a.length(); i++) a.putScalar(i, std * rng.nextGaussian());
        return a;
    }
}
