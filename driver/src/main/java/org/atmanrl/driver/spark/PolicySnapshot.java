package org.atmanrl.driver.spark;

import java.util.Arrays;
import java.util.Map;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.StoredWeights;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trained tensors as the driver broadcasts them each step: {@link NamedArrays} (tensor names in
 * checkpoint order, shapes, row-major float values) and a version (the step whose rollouts they
 * generate), so no INDArray ever goes through Kryo. The policy's snapshot is {@linkplain #copyInto
 * copied} into the arrays of the model an executor keeps between steps; the mask network's
 * (docs/design.md 2.6) is small and read whole by each task.
 */
public final class PolicySnapshot {
    private final long version;
    private final NamedArrays tensors;

    PolicySnapshot(long version, String[] names, long[][] shapes, float[][] values) {
        this(version, new NamedArrays(names, shapes, values));
    }

    PolicySnapshot(long version, NamedArrays tensors) {
        this.version = version;
        this.tensors = tensors;
    }

    /** A copy of {@code weights} (any data type, stored as float). */
    public static PolicySnapshot of(long version, LlamaWeights weights) {
        return of(version, weights.named());
    }

    /** A copy of named tensors (any data type, stored as float), in their map's order. */
    public static PolicySnapshot of(long version, Map<String, INDArray> named) {
        return new PolicySnapshot(version, NamedArrays.of(named));
    }

    /** Overwrites the tensors of {@code weights} (same model, same names and shapes) with this snapshot's values. */
    public void copyInto(LlamaWeights weights) {
        copyInto(weights.named());
    }

    /**
     * Overwrites live tensors (a model's, or its LoRA adapters', docs/design.md 3.4: same names in
     * the same order, same shapes) with this snapshot's values.
     */
    public void copyInto(Map<String, INDArray> named) {
        if (!named.keySet().stream().toList().equals(tensors.names())) {
            throw new IllegalArgumentException("snapshot tensors " + tensors.names() + " do not match the model's "
                    + named.keySet());
        }
        for (int i = 0; i < tensors.size(); i++) {
            INDArray target = named.get(tensors.name(i));
            if (!Arrays.equals(target.shape(), tensors.shape(i))) {
                throw new IllegalArgumentException(tensors.name(i) + ": snapshot shape " + Arrays.toString(tensors.shape(i))
                        + ", model shape " + Arrays.toString(target.shape()));
            }
            try (INDArray source = Nd4j.create(tensors.values(i), tensors.shape(i), 'c')) {
                // a bf16-stored copy (weight_storage) rounds as it does at load: to nearest, ties to even
                INDArray cast = StoredWeights.isNarrow(target.dataType()) ? StoredWeights.toBf16(source)
                        : source.castTo(target.dataType());
                target.assign(cast);
                if (cast != source) cast.close();
            }
        }
    }

    /** A new model of {@code config} holding this snapshot's values, as {@code dtype}. */
    public LlamaWeights toWeights(org.atmanrl.model.LlamaConfig config, DataType dtype) {
        return LlamaWeights.fromNamed(config, tensors.toArrays(dtype));
    }

    /** A new set of LoRA adapters of {@code lora} on a base of {@code config} holding this snapshot's values. */
    public LoraAdapters toAdapters(org.atmanrl.model.LlamaConfig config, LoraConfig lora, DataType dtype) {
        return LoraAdapters.fromNamed(config, lora, tensors.toArrays(dtype));
    }

    public long version() { return version; }
    public NamedArrays tensors() { return tensors; }
}
