package org.atmanrl.model.lora;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.atmanrl.model.LayerWeights;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.RowRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * LoRA adapters of a Llama model (docs/design.md 3.4): for every decoder layer and targeted
 * projection {@code W [out, in]}, {@code A [r, in]} and {@code B [out, r]}, so that the projection
 * becomes {@code y = x W^T + (alpha / r) (x A^T) B^T}. Also the container for the adapters'
 * gradients, which have the same names and shapes.
 *
 * <p>Tensor names are PEFT's as saved in {@code adapter_model.safetensors}, e.g.
 * {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}: the PeftModel's state-dict
 * key ({@code base_model} is the LoraModel, {@code model} the LlamaForCausalLM, then its
 * {@code model.layers...}) with the adapter name ({@code default}) removed. Checked against
 * huggingface/peft 0.20.1.dev0 (commit 5d602fdbff04c33c1c4de55cda9d4ae1d7cb7e40):
 * src/peft/utils/save_and_load.py {@code get_peft_model_state_dict} and
 * src/peft/tuners/tuners_utils.py {@code _remove_adapter_name_from_state_dict_key} for the names,
 * src/peft/tuners/lora/layer.py {@code LoraLayer.update_layer} for the shapes
 * ({@code lora_A = nn.Linear(in_features, r)}, {@code lora_B = nn.Linear(r, out_features)}) and
 * the scaling, and {@code reset_lora_parameters} for the initialisation.
 */
public final class LoraAdapters implements AutoCloseable {
    private static final String PREFIX = "base_model.model.model.layers.";
    private static final LoraTarget[] TARGETS = LoraTarget.values();

    private final LlamaConfig model;
    private final LoraConfig lora;
    /** {@code [layer][target.ordinal()]}, null where the projection is not targeted. */
    private final INDArray[][] a, b;

    private LoraAdapters(LlamaConfig model, LoraConfig lora, INDArray[][] a, INDArray[][] b) {
        this.model = model;
        this.lora = lora;
        this.a = a;
        this.b = b;
    }

    /** PEFT's name of {@code A} ({@code lora_A}) or {@code B} ({@code lora_B}) of a layer's projection. */
    public static String tensorName(int layer, LoraTarget target, boolean isA) {
        return PREFIX + layer + "." + target.modulePath() + (isA ? ".lora_A.weight" : ".lora_B.weight");
    }

    /** The adapters' tensors for this model and config, PEFT name to shape, in layer and projection order, A before B. */
    public static Map<String, long[]> shapes(LlamaConfig model, LoraConfig lora) {
        Map<String, long[]> m = new LinkedHashMap<>();
        Map<String, long[]> base = LlamaWeights.shapes(model);
        for (int i = 0; i < model.numHiddenLayers(); i++) {
            for (LoraTarget t : lora.targets()) {
                long[] w = base.get("model.layers." + i + "." + t.modulePath() + ".weight");
                m.put(tensorName(i, t, true), new long[] {lora.rank(), w[1]});
                m.put(tensorName(i, t, false), new long[] {w[0], lora.rank()});
            }
        }
        return m;
    }

    /**
     * PEFT's default initialisation ({@code init_lora_weights=True}): {@code A} kaiming-uniform with
     * {@code a = sqrt(5)}, which for {@code A [r, in]} is uniform on {@code [-1/sqrt(in), 1/sqrt(in)]}
     * (gain {@code sqrt(2 / (1 + a^2))}, bound {@code gain * sqrt(3 / fan_in)}), and {@code B = 0},
     * so the adapted model starts as the base. Each draw is a pure function of (seed, tensor name,
     * element index) ({@link RowRandom}), not PyTorch's generator: the same bytes on every machine.
     */
    public static LoraAdapters init(LlamaConfig model, LoraConfig lora, long seed, DataType dtype) {
        LoraAdapters z = zeros(model, lora, dtype);
        for (int i = 0; i < model.numHiddenLayers(); i++) {
            for (LoraTarget t : lora.targets()) {
                INDArray ai = z.a[i][t.ordinal()];
                ai.close();
                z.a[i][t.ordinal()] = uniform(seed, tensorName(i, t, true), 1 / Math.sqrt(ai.size(1)), dtype,
                        ai.size(0), ai.size(1));
            }
        }
        return z;
    }

    /** All adapters zero: the container for their gradients. */
    public static LoraAdapters zeros(LlamaConfig model, LoraConfig lora, DataType dtype) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        shapes(model, lora).forEach((name, shape) -> m.put(name, Nd4j.zeros(dtype, shape)));
        return fromNamed(model, lora, m);
    }

    /** Zeros of the same config, shapes and data type. */
    public LoraAdapters zerosLike() {
        return zeros(model, lora, dataType());
    }

    /**
     * Adapters from tensors keyed by PEFT name: exactly the names of {@link #shapes}, of those
     * shapes and of one floating-point data type. The arrays are taken over, not copied.
     */
    public static LoraAdapters fromNamed(LlamaConfig model, LoraConfig lora, Map<String, INDArray> tensors) {
        Map<String, long[]> expected = shapes(model, lora);
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) {
                throw new IllegalArgumentException("unexpected adapter tensor " + name + " for target_modules "
                        + lora.targetModules() + " and " + model.numHiddenLayers() + " layers");
            }
        }
        DataType dt = null;
        INDArray[][] a = new INDArray[model.numHiddenLayers()][TARGETS.length];
        INDArray[][] b = new INDArray[model.numHiddenLayers()][TARGETS.length];
        for (int i = 0; i < model.numHiddenLayers(); i++) {
            for (LoraTarget t : lora.targets()) {
                for (boolean isA : new boolean[] {true, false}) {
                    String name = tensorName(i, t, isA);
                    INDArray x = tensors.get(name);
                    if (x == null) {
                        throw new IllegalArgumentException("missing adapter tensor " + name);
                    }
                    if (!Arrays.equals(x.shape(), expected.get(name))) {
                        throw new IllegalArgumentException("adapter tensor " + name + " has shape "
                                + Arrays.toString(x.shape()) + ", expected " + Arrays.toString(expected.get(name)));
                    }
                    if (dt == null) dt = x.dataType();
                    if (x.dataType() != dt || !dt.isFPType()) {
                        throw new IllegalArgumentException("adapter tensor " + name + " is " + x.dataType()
                                + ": all adapters must share one floating-point data type (" + dt + ")");
                    }
                    (isA ? a : b)[i][t.ordinal()] = x;
                }
            }
        }
        return new LoraAdapters(model, lora, a, b);
    }

    public LlamaConfig modelConfig() { return model; }
    public LoraConfig config() { return lora; }
    /** {@code alpha / r}. */
    public double scaling() { return lora.scaling(); }

    public DataType dataType() {
        for (INDArray[] layer : a) {
            for (INDArray x : layer) if (x != null) return x.dataType();
        }
        throw new IllegalStateException("no adapters");
    }

    /** {@code A [r, in]} of a layer's projection (the live array), or null if it is not targeted. */
    public INDArray a(int layer, LoraTarget target) { return a[layer][target.ordinal()]; }

    /** {@code B [out, r]} of a layer's projection (the live array), or null if it is not targeted. */
    public INDArray b(int layer, LoraTarget target) { return b[layer][target.ordinal()]; }

    /**
     * Every tensor under its PEFT name, in layer and projection order, A before B: the live arrays,
     * not copies ({@code NamedArrays.of(named())} is the float copy that travels).
     */
    public Map<String, INDArray> named() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (int i = 0; i < a.length; i++) {
            for (LoraTarget t : lora.targets()) {
                m.put(tensorName(i, t, true), a[i][t.ordinal()]);
                m.put(tensorName(i, t, false), b[i][t.ordinal()]);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    public long parameterCount() {
        return named().values().stream().mapToLong(INDArray::length).sum();
    }

    /** A deep copy in {@code dtype}. */
    public LoraAdapters copy(DataType dtype) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        named().forEach((name, x) -> m.put(name, x.castTo(dtype).dup('c')));
        return fromNamed(model, lora, m);
    }

    /**
     * The base with the adapters merged in, {@code W' = W + (alpha / r) B A} on every targeted
     * projection (PEFT's {@code get_delta_weight} without fan_in_fan_out): ordinary weights in the
     * base's data type, new arrays; the base is not changed. What a plain HF directory holds.
     */
    public LlamaWeights merge(LlamaWeights base) {
        if (!base.config().equals(model)) {
            throw new IllegalArgumentException("adapters for " + model + " cannot merge into " + base.config());
        }
        DataType dt = base.dataType();
        LlamaWeights merged = base.copy(dt);
        for (int i = 0; i < a.length; i++) {
            LayerWeights layer = merged.layer(i);
            for (LoraTarget t : lora.targets()) {
                INDArray ai = a[i][t.ordinal()], bi = b[i][t.ordinal()];
                INDArray ac = ai.dataType() == dt ? ai : ai.castTo(dt), bc = bi.dataType() == dt ? bi : bi.castTo(dt);
                // W += scaling * B A, in one GEMM into the copy
                Nd4j.gemm(bc, ac, t.weight(layer), false, false, scaling(), 1.0);
                if (ac != ai) ac.close();
                if (bc != bi) bc.close();
            }
        }
        return merged;
    }

    /** Frees every tensor's off-heap buffer now; the adapters are unusable afterwards. */
    @Override
    public void close() {
        for (INDArray x : named().values()) {
            if (!x.wasClosed() && x.closeable()) x.close();
        }
    }

    /** {@code [rows, cols]} uniform on {@code [-bound, bound)}, a pure function of (seed, name). */
    private static INDArray uniform(long seed, String name, double bound, DataType dtype, long rows, long cols) {
        long key = name.hashCode();
        int n = Math.toIntExact(rows * cols);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (2 * RowRandom.uniform(seed, key, i) - 1) * bound;
        INDArray d = Nd4j.createFromArray(v).reshape('c', rows, cols);
        if (dtype == DataType.DOUBLE) return d;
        INDArray c = d.castTo(dtype);
        d.close();
        return c;
    }

    /** The adapters' layer count, for checks. */
    public int layers() { return a.length; }

    /** The targeted projections in layer order. */
    public List<LoraTarget> targets() { return new ArrayList<>(lora.targets()); }
}
