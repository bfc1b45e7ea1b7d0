package org.atmanrl.model;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * How a process stores the weights it holds but does not train (docs/design.md 3.4, "bf16
 * storage"): as fp32, or as bf16 with fp32 compute and accumulation. Weights that train (the
 * driver's masters, the adapters) and the AdamW moments stay fp32 either way.
 */
public enum WeightStorage {
    /** fp32, as loaded: the same bytes as before there was a choice. */
    F32(DataType.FLOAT),
    /** Matrices rounded to bf16 (half the bytes), norms fp32; computed with in fp32. */
    BF16(DataType.BFLOAT16);

    private final DataType loadType;

    WeightStorage(DataType loadType) {
        this.loadType = loadType;
    }

    /** The data type {@link org.atmanrl.model.io.ModelDirectory#readWeights} loads such weights as. */
    public DataType loadType() {
        return loadType;
    }

    /** {@code fp32} in this storage: itself for F32, else a bf16 copy (closing {@code fp32}). */
    public LlamaWeights store(LlamaWeights fp32) {
        if (this == F32) {
            return fp32;
        }
        try (fp32) {
            return fp32.bf16Copy();
        }
    }
}
