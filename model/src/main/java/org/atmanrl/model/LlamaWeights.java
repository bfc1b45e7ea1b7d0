package org.atmanrl.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * All parameters of a {@code LlamaForCausalLM}, addressable by their HF tensor names. With tied
 * embeddings {@link #lmHead()} is the very same array as {@link #embed()}, so a gradient written
 * through the head lands in the embedding's gradient without a copy.
 */
public final class LlamaWeights implements AutoCloseable {
    private final LlamaConfig config;
    private final INDArray embed;
    private final List<LayerWeights> layers;
    private final INDArray norm;
    private final INDArray lmHead;

    public LlamaWeights(LlamaConfig config, INDArray embed, List<LayerWeights> layers, INDArray norm,
                        INDArray lmHead) {
        this.config = config;
        this.embed = embed;
        this.layers = List.copyOf(layers);
        this.norm = norm;
        this.lmHead = config.tieWordEmbeddings() ? embed : lmHead;
        checkShapes();
    }

    public LlamaConfig config() { return config; }
    public INDArray embed() { return embed; }
    public List<LayerWeights> layers() { return layers; }
    public LayerWeights layer(int i) { return layers.get(i); }
    public INDArray norm() { return norm; }
    public INDArray lmHead() { return lmHead; }
    /** The data type computation runs in: the norms' (FLOAT or DOUBLE), also with bf16 storage. */
    public DataType dataType() { return norm.dataType(); }
    /**
     * The data type the matrices (embedding, projections, head) are stored in: {@link #dataType}, or
     * BFLOAT16 for weights that do not train (docs/design.md 3.4, "bf16 storage").
     */
    public DataType storageType() { return embed.dataType(); }

    /**
     * HF initialisation ({@code normal(0, initializer_range)} for projections and embeddings, ones
     * for norms), drawn from a generator keyed by (seed, tensor name) so that a tensor's values do
     * not depend on which other tensors exist or in what order they are made.
     */
    public static LlamaWeights random(LlamaConfig c, long seed, DataType dtype) {
        int d = c.hiddenSize(), hd = c.headDim(), inter = c.intermediateSize();
        double std = c.initializerRange();
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new LayerWeights(
                    Nd4j.ones(dtype, d),
                    normal(seed, p + LayerWeights.NAMES[1], std, dtype, c.numAttentionHeads() * hd, d),
                    normal(seed, p + LayerWeights.NAMES[2], std, dtype, c.numKeyValueHeads() * hd, d),
                    normal(seed, p + LayerWeights.NAMES[3], std, dtype, c.numKeyValueHeads() * hd, d),
                    normal(seed, p + LayerWeights.NAMES[4], std, dtype, d, c.numAttentionHeads() * hd),
                    Nd4j.ones(dtype, d),
                    normal(seed, p + LayerWeights.NAMES[6], std, dtype, inter, d),
                    normal(seed, p + LayerWeights.NAMES[7], std, dtype, inter, d),
                    normal(seed, p + LayerWeights.NAMES[8], std, dtype, d, inter)));
        }
        INDArray embed = normal(seed, "model.embed_tokens.weight", std, dtype, c.vocabSize(), d);
        INDArray head = c.tieWordEmbeddings() ? embed
                : normal(seed, "lm_head.weight", std, dtype, c.vocabSize(), d);
        return new LlamaWeights(c, embed, layers, Nd4j.ones(dtype, d), head);
    }

    /** Zeros of the same shapes (and the same tying): the container for gradients. */
    public LlamaWeights zerosLike() {
        List<LayerWeights> zl = new ArrayList<>();
        for (LayerWeights l : layers) {
            INDArray[] a = l.all();
            zl.add(new LayerWeights(z(a[0]), z(a[1]), z(a[2]), z(a[3]), z(a[4]), z(a[5]), z(a[6]),
                    z(a[7]), z(a[8])));
        }
        INDArray ze = z(embed);
        return new LlamaWeights(config, ze, zl, z(norm), config.tieWordEmbeddings() ? ze : z(lmHead));
    }

    /** Zeros of {@code a}'s shape in the compute type: gradients are never stored narrow. */
    private INDArray z(INDArray a) {
        return Nd4j.zeros(dataType(), a.shape());
    }

    /**
     * A copy whose matrices are stored in bf16 (rounded to nearest, ties to even) and whose norms
     * stay fp32: what a model that does not train keeps at half the bytes (docs/design.md 3.4, "bf16
     * storage"). Computing with it gives exactly what {@code bf16Copy().copy(FLOAT)} gives.
     */
    public LlamaWeights bf16Copy() {
        if (dataType() != DataType.FLOAT) {
            throw new IllegalStateException("bf16 storage is for fp32 compute, these weights compute in " + dataType());
        }
        List<LayerWeights> cl = new ArrayList<>();
        for (LayerWeights l : layers) {
            INDArray[] a = l.all();
            cl.add(new LayerWeights(bf16Stored(a[0]), bf16Stored(a[1]), bf16Stored(a[2]), bf16Stored(a[3]),
                    bf16Stored(a[4]), bf16Stored(a[5]), bf16Stored(a[6]), bf16Stored(a[7]), bf16Stored(a[8])));
        }
        INDArray ce = bf16Stored(embed);
        return new LlamaWeights(config, ce, cl, bf16Stored(norm), config.tieWordEmbeddings() ? ce : bf16Stored(lmHead));
    }

    /** A copy of one tensor as bf16 storage keeps it: rounded if {@link StoredWeights#narrows} it, else as is. */
    private static INDArray bf16Stored(INDArray a) {
        return StoredWeights.narrows(a) ? StoredWeights.toBf16(a) : a.dup();
    }

    /** A deep copy, converted to another data type (bf16-stored matrices widen exactly). */
    public LlamaWeights copy(DataType dtype) {
        List<LayerWeights> cl = new ArrayList<>();
        for (LayerWeights l : layers) {
            INDArray[] a = l.all();
            cl.add(new LayerWeights(a[0].castTo(dtype).dup(), a[1].castTo(dtype).dup(),
                    a[2].castTo(dtype).dup(), a[3].castTo(dtype).dup(), a[4].castTo(dtype).dup(),
                    a[5].castTo(dtype).dup(), a[6].castTo(dtype).dup(), a[7].castTo(dtype).dup(),
                    a[8].castTo(dtype).dup()));
        }
        INDArray ce = embed.castTo(dtype).dup();
        return new LlamaWeights(config, ce, cl, norm.castTo(dtype).dup(),
                config.tieWordEmbeddings() ? ce : lmHead.castTo(dtype).dup());
    }

    /**
     * Every tensor under its HF name, in checkpoint order; {@code lm_head.weight} is absent when
     * tied. The arrays are the live parameters, not copies.
     */
    public Map<String, INDArray> named() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", embed);
        for (int i = 0; i < layers.size(); i++) {
            INDArray[] a = layers.get(i).all();
            for (int j = 0; j < a.length; j++) {
                m.put("model.layers." + i + "." + LayerWeights.NAMES[j], a[j]);
            }
        }
        m.put("model.norm.weight", norm);
        if (!config.tieWordEmbeddings()) {
            m.put("lm_head.weight", lmHead);
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * The tensors a {@code LlamaForCausalLM} checkpoint of this config holds, HF name to shape
     * ({@code [out, in]} for projections), in checkpoint order; no {@code lm_head.weight} when tied.
     */
    public static Map<String, long[]> shapes(LlamaConfig c) {
        long d = c.hiddenSize(), q = (long) c.numAttentionHeads() * c.headDim(),
                kv = (long) c.numKeyValueHeads() * c.headDim(), inter = c.intermediateSize();
        long[][] layer = {{d}, {q, d}, {kv, d}, {kv, d}, {d, q}, {d}, {inter, d}, {inter, d}, {d, inter}};
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            for (int j = 0; j < layer.length; j++) {
                m.put("model.layers." + i + "." + LayerWeights.NAMES[j], layer[j]);
            }
        }
        m.put("model.norm.weight", new long[] {d});
        if (!c.tieWordEmbeddings()) {
            m.put("lm_head.weight", new long[] {c.vocabSize(), d});
        }
        return m;
    }

    /** Parameters of a model of this config (a tied head counted once). */
    public static long parameterCount(LlamaConfig c) {
        long total = 0;
        for (long[] shape : shapes(c).values()) {
            long n = 1;
            for (long d : shape) n *= d;
            total += n;
        }
        return total;
    }

    /** Weights from tensors keyed by HF name (exactly the names of {@link #shapes}). */
    public static LlamaWeights fromNamed(LlamaConfig c, Map<String, INDArray> tensors) {
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            INDArray[] a = new INDArray[LayerWeights.NAMES.length];
            for (int j = 0; j < a.length; j++) {
                a[j] = tensors.get("model.layers." + i + "." + LayerWeights.NAMES[j]);
            }
            layers.add(new LayerWeights(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]));
        }
        return new LlamaWeights(c, tensors.get("model.embed_tokens.weight"), layers,
                tensors.get("model.norm.weight"), tensors.get("lm_head.weight"));
    }

    /** Frees every tensor's off-heap buffer now; the weights are unusable afterwards. */
    @Override
    public void close() {
        for (INDArray a : named().values()) Arrays2.release(a);
    }

    public long parameterCount() {
        return named().values().stream().mapToLong(INDArray::length).sum();
    }

    private void checkShapes() {
        if (layers.size() != config.numHiddenLayers()) {
            throw new IllegalArgumentException("expected " + config.numHiddenLayers() + " layers, got "
                    + layers.size());
        }
        Map<String, INDArray> named = named();
        for (Map.Entry<String, long[]> e : shapes(config).entrySet()) {
            expect(e.getKey(), named.get(e.getKey()), e.getValue());
        }
        expect("lm_head.weight", lmHead, config.vocabSize(), config.hiddenSize());
        // norms (rank 1) in the compute type, matrices in it too or in bf16 for fp32 compute
        DataType compute = norm.dataType(), stored = embed.dataType();
        if (stored != compute && !(StoredWeights.isNarrow(stored) && compute == DataType.FLOAT)) {
            throw new IllegalArgumentException("the embedding is " + stored + " but the norms are " + compute
                    + ": weights share one data type, or store bf16 matrices for fp32 compute");
        }
        for (Map.Entry<String, INDArray> e : named.entrySet()) {
            DataType want = e.getValue().rank() == 1 ? compute : stored;
            if (e.getValue().dataType() != want) {
                throw new IllegalArgumentException(e.getKey() + " is " + e.getValue().dataType() + " but should be "
                        + want + ": all norms share one data type, and all matrices the embedding's");
            }
        }
    }

    private static void expect(String name, INDArray a, long... shape) {
        if (a == null) {
            throw new IllegalArgumentException("missing tensor " + name);
        }
        if (!java.util.Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException(name + " has shape " + java.util.Arrays.toString(a.shape())
                    + ", expected " + java.util.Arrays.toString(shape));
        }
    }

    /**
     * The generator {@link #random} draws tensor {@code name}'s values from, in row-major order, each
     * {@code (float) (nextGaussian() * std)}: what a writer that streams the same initialisation
     * without holding the tensor draws from too.
     */
    public static SplittableRandom initRandom(long seed, String name) {
        return new SplittableRandom(RowRandom.mix(seed, name.hashCode()));
    }

    /**
     * A {@code [rows, cols]} array of normal draws with standard deviation {@code std}, a pure
     * function of {@code (seed, name)}: the same bytes on every machine and thread count.
     */
    public static INDArray normal(long seed, String name, double std, DataType dtype, long rows, long cols) {
        SplittableRandom rng = initRandom(seed, name);
        int n = Math.toIntExact(rows * cols);
        if (dtype == DataType.DOUBLE) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = rng.nextGaussian() * std;
            return Nd4j.createFromArray(v).reshape(rows, cols);
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * std);
        return Nd4j.createFromArray(v).reshape(rows, cols).castTo(dtype);
    }
}
