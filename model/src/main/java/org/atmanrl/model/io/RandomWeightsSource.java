package org.atmanrl.model.io;

import java.util.Map;
import java.util.SplittableRandom;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;

/**
 * {@link LlamaWeights#random}'s initialisation drawn chunk by chunk as a writer asks for it:
 * norms are ones, every other tensor {@code normal(0, initializer_range)} from
 * {@link LlamaWeights#initRandom}. The values, and so the files, are those of {@code random}, but no
 * tensor is ever held: what writes a Llama-3.2-sized model in constant memory (docs/models.md,
 * "Presets"). Chunks must come in order within a tensor, as {@link SafetensorsWriter} asks for them.
 */
public final class RandomWeightsSource implements SafetensorsWriter.TensorSource {
    private final Map<String, long[]> shapes;
    private final long seed;
    private final double std;
    private String current;
    private long next;
    private SplittableRandom rng;

    public RandomWeightsSource(LlamaConfig config, long seed) {
        this.shapes = LlamaWeights.shapes(config);
        this.seed = seed;
        this.std = config.initializerRange();
    }

    @Override
    public void fill(String name, long offset, float[] into, int count) {
        long[] shape = shapes.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in this model");
        }
        if (shape.length == 1) {
            java.util.Arrays.fill(into, 0, count, 1f);
            return;
        }
        if (offset == 0) {
            current = name;
            rng = LlamaWeights.initRandom(seed, name);
        } else if (!name.equals(current) || offset != next) {
            throw new IllegalStateException("tensor '" + name + "' asked for at element " + offset
                    + "; the draws go in order (next: '" + current + "' at " + next + ")");
        }
        for (int i = 0; i < count; i++) into[i] = (float) (rng.nextGaussian() * std);
        next = offset + count;
    }
}
