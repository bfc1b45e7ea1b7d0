package org.atmanrl.driver.spark;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.StoredWeights;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.model.io.HalfFloats;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trained tensors as the driver broadcasts them each step: names in checkpoint order, shapes,
 * row-major values, and a version (the step whose rollouts they generate), so no INDArray ever goes
 * through Kryo. The policy's snapshot is {@linkplain #copyInto copied} into the arrays of the model
 * an executor keeps between steps; the mask network's (docs/design.md 2.6) is small and read whole
 * by each task.
 *
 * <p>Each tensor travels as float, or as bf16 (raw 16-bit values, rounded to nearest even once on
 * the driver) when the executors store it in bf16 anyway (docs/design.md 3.4, "bf16 storage"): half
 * the bytes in the broadcast's blocks, and exactly the bits the executor would have rounded to.
 */
public final class PolicySnapshot {
    private final long version;
    private final String[] names;
    private final long[][] shapes;
    /** Per tensor exactly one of these is non-null: its float values, or its bf16 values. */
    private final float[][] floats;
    private final short[][] bf16;

    PolicySnapshot(long version, String[] names, long[][] shapes, float[][] values) {
        this(version, new NamedArrays(names, shapes, values));
    }

    PolicySnapshot(long version, NamedArrays tensors) {
        this(version, tensors.names().toArray(new String[0]), shapesOf(tensors), valuesOf(tensors),
                new short[tensors.size()][]);
    }

    /** {@code floats[i]} or {@code bf16[i]} (the other null) holds tensor {@code i}'s values, one per element. */
    PolicySnapshot(long version, String[] names, long[][] shapes, float[][] floats, short[][] bf16) {
        if (names.length != shapes.length || names.length != floats.length || names.length != bf16.length) {
            throw new IllegalArgumentException(names.length + " names, " + shapes.length + " shapes, " + floats.length
                    + " float and " + bf16.length + " bf16 value arrays");
        }
        for (int i = 0; i < names.length; i++) {
            if ((floats[i] == null) == (bf16[i] == null)) {
                throw new IllegalArgumentException(names[i] + ": needs exactly one of float or bf16 values");
            }
            int n = floats[i] != null ? floats[i].length : bf16[i].length;
            if (NamedArrays.elements(shapes[i]) != n) {
                throw new IllegalArgumentException(names[i] + ": shape " + Arrays.toString(shapes[i]) + " but " + n
                        + " values");
            }
        }
        this.version = version;
        this.names = names;
        this.shapes = shapes;
        this.floats = floats;
        this.bf16 = bf16;
    }

    /** A copy of {@code weights} (any data type, stored as float). */
    public static PolicySnapshot of(long version, LlamaWeights weights) {
        return of(version, weights.named());
    }

    /**
     * A copy of {@code weights} for executors that store them as {@code storage} says: with bf16 the
     * tensors it narrows ({@link StoredWeights#narrows}) are rounded here, once, and travel as bf16.
     * Not for what executors train or keep in fp32 (LoRA adapters, the mask network).
     */
    public static PolicySnapshot of(long version, LlamaWeights weights, WeightStorage storage) {
        if (storage == WeightStorage.F32) {
            return of(version, weights);
        }
        Map<String, INDArray> named = weights.named();
        String[] names = named.keySet().toArray(new String[0]);
        long[][] shapes = new long[names.length][];
        float[][] floats = new float[names.length][];
        short[][] bf16 = new short[names.length][];
        for (int i = 0; i < names.length; i++) {
            INDArray a = named.get(names[i]);
            shapes[i] = a.shape().clone();
            if (StoredWeights.narrows(a)) {
                bf16[i] = StoredWeights.bf16Bits(a);
            } else {
                floats[i] = NamedArrays.of(Map.of(names[i], a)).values(0);
            }
        }
        return new PolicySnapshot(version, names, shapes, floats, bf16);
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
        if (!named.keySet().stream().toList().equals(names())) {
            throw new IllegalArgumentException("snapshot tensors " + names() + " do not match the model's "
                    + named.keySet());
        }
        for (int i = 0; i < names.length; i++) {
            INDArray target = named.get(names[i]);
            if (!Arrays.equals(target.shape(), shapes[i])) {
                throw new IllegalArgumentException(names[i] + ": snapshot shape " + Arrays.toString(shapes[i])
                        + ", model shape " + Arrays.toString(target.shape()));
            }
            if (bf16[i] != null && StoredWeights.isNarrow(target.dataType())) {
                StoredWeights.copyBf16Bits(bf16[i], target); // rounded on the driver: the bits as they are
                continue;
            }
            try (INDArray source = array(i)) {
                // a bf16-stored copy (weight_storage) rounds as it does at load: to nearest, ties to even
                INDArray cast = StoredWeights.isNarrow(target.dataType()) ? StoredWeights.toBf16(source)
                        : source.castTo(target.dataType());
                target.assign(cast);
                if (cast != source) cast.close();
            }
        }
    }

    /** Tensor {@code i} as a new fp32 array (bf16 values widen exactly). */
    private INDArray array(int i) {
        return Nd4j.create(widened(i), shapes[i], 'c');
    }

    /** Tensor {@code i}'s values as floats: the array itself, or its bf16 values widened (exactly). */
    private float[] widened(int i) {
        if (floats[i] != null) return floats[i];
        short[] s = bf16[i];
        float[] f = new float[s.length];
        for (int j = 0; j < s.length; j++) f[j] = HalfFloats.bf16ToFloat(s[j]);
        return f;
    }

    /** A new model of {@code config} holding this snapshot's values, as {@code dtype}. */
    public LlamaWeights toWeights(org.atmanrl.model.LlamaConfig config, DataType dtype) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            INDArray a = array(i);
            if (dtype != DataType.FLOAT) {
                INDArray cast = a.castTo(dtype);
                a.close();
                a = cast;
            }
            m.put(names[i], a);
        }
        return LlamaWeights.fromNamed(config, m);
    }

    /** A new set of LoRA adapters of {@code lora} on a base of {@code config} holding this snapshot's values. */
    public LoraAdapters toAdapters(org.atmanrl.model.LlamaConfig config, LoraConfig lora, DataType dtype) {
        return LoraAdapters.fromNamed(config, lora, tensors().toArrays(dtype));
    }

    public long version() { return version; }
    public int size() { return names.length; }
    public List<String> names() { return List.of(names); }
    public String name(int i) { return names[i]; }
    public long[] shape(int i) { return shapes[i].clone(); }
    /** Tensor {@code i}'s float values (the live array, not to be modified), or null if it travels as bf16. */
    float[] floatValues(int i) { return floats[i]; }
    /** Tensor {@code i}'s raw bf16 values (the live array, not to be modified), or null if it travels as float. */
    short[] bf16Values(int i) { return bf16[i]; }

    /** Every tensor as floats (bf16 ones widened, exactly): the mask network's, or a test's view. */
    public NamedArrays tensors() {
        float[][] v = new float[names.length][];
        for (int i = 0; i < names.length; i++) v[i] = widened(i);
        return new NamedArrays(names, shapes, v);
    }

    private static long[][] shapesOf(NamedArrays t) {
        long[][] s = new long[t.size()][];
        for (int i = 0; i < s.length; i++) s[i] = t.shape(i);
        return s;
    }

    private static float[][] valuesOf(NamedArrays t) {
        float[][] v = new float[t.size()][];
        for (int i = 0; i < v.length; i++) v[i] = t.values(i);
        return v;
    }
}
