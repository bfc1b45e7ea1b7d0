package org.atmanrl.executor.collective;

import java.util.Arrays;
import java.util.Map;
import org.atmanrl.model.NamedArrays;

/**
 * The split of a model's tensors into P shards of whole tensors (docs/design.md 3.5): shards are
 * contiguous runs of tensors in the model's tensor order, and tensor {@code i}, whose elements
 * start at offset {@code s} of the {@code T} elements in all and number {@code n}, goes to shard
 * {@code min(P − 1, floor(P · (2s + n) / (2T)))}: the shard its midpoint falls in when the
 * flattened model is cut into P equal ranges. It is a pure function of the names' order, the
 * shapes and P, so every rank (and sync mode) computes the same split. A shard may be empty (a
 * tensor larger than T/P takes the range of more than one shard), and shards are only as even as
 * whole tensors allow.
 */
public final class Shards {
    private final String[] names;
    private final long[][] shapes;
    /** Shard k holds tensors first[k] (inclusive) to first[k + 1] (exclusive). */
    private final int[] first;
    private final long[] elements;

    private Shards(String[] names, long[][] shapes, int[] first, long[] elements) {
        this.names = names;
        this.shapes = shapes;
        this.first = first;
        this.elements = elements;
    }

    /** The split of {@code shapes} (in its iteration order) into {@code parts} shards. */
    public static Shards split(Map<String, long[]> shapes, int parts) {
        if (parts < 1) throw new IllegalArgumentException("at least one shard expected, not " + parts);
        String[] names = shapes.keySet().toArray(new String[0]);
        long[][] s = new long[names.length][];
        long[] sizes = new long[names.length];
        long total = 0;
        for (int i = 0; i < names.length; i++) {
            s[i] = shapes.get(names[i]).clone();
            sizes[i] = NamedArrays.elements(s[i]);
            if (sizes[i] > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(names[i] + " has " + sizes[i] + " elements, more than a Java array holds");
            }
            total = Math.addExact(total, sizes[i]);
        }
        int[] first = new int[parts + 1];
        long[] elements = new long[parts];
        int[] shardOf = new int[names.length];
        long start = 0;
        for (int i = 0; i < names.length; i++) {
            long mid2 = Math.addExact(Math.multiplyExact(2, start), sizes[i]);
            int k = total == 0 ? 0 : (int) Math.min(parts - 1, Math.multiplyExact(parts, mid2) / Math.multiplyExact(2, total));
            shardOf[i] = k;
            elements[k] += sizes[i];
            start += sizes[i];
        }
        // first[k] = the first tensor of shard k or later (midpoints increase, so shards are contiguous)
        for (int k = 0, i = 0; k <= parts; k++) {
            while (i < names.length && shardOf[i] < k) i++;
            first[k] = i;
        }
        return new Shards(names, s, first, elements);
    }

    /** The split of {@code layout}'s tensors. */
    public static Shards split(NamedArrays layout, int parts) {
        return split(layout.shapes(), parts);
    }

    public int count() {
        return elements.length;
    }

    /** The index (in the model's order) of shard {@code k}'s first tensor. */
    public int firstTensor(int k) {
        return first[k];
    }

    /** One past the index of shard {@code k}'s last tensor. */
    public int endTensor(int k) {
        return first[k + 1];
    }

    /** The float values in shard {@code k}. */
    public long elements(int k) {
        return elements[k];
    }

    /** The payload bytes of shard {@code k} on the wire: 4 per value. */
    public long bytes(int k) {
        return 4 * elements[k];
    }

    /** The number of tensors in all shards. */
    public int tensors() {
        return names.length;
    }

    /** The number of values of tensor {@code i} (in the model's order). */
    int elementsOf(int i) {
        return (int) NamedArrays.elements(shapes[i]);
    }

    /** Shard {@code k} of {@code full}: its tensors, sharing {@code full}'s arrays (no copy). */
    public NamedArrays slice(NamedArrays full, int k) {
        requireLayout(full);
        int a = first[k], b = first[k + 1];
        float[][] v = new float[b - a][];
        for (int i = a; i < b; i++) v[i - a] = full.values(i);
        return new NamedArrays(Arrays.copyOfRange(names, a, b), copy(a, b), v);
    }

    /** An empty-valued layout of shard {@code k} (names and shapes), for checking a shard's layout. */
    NamedArrays layout(int k, float[][] values) {
        return new NamedArrays(Arrays.copyOfRange(names, first[k], first[k + 1]), copy(first[k], first[k + 1]), values);
    }

    /** The whole model from its shards' values, in shard order (each shard's arrays shared, not copied). */
    NamedArrays assemble(float[][][] shardValues) {
        float[][] v = new float[names.length][];
        for (int k = 0; k < count(); k++) {
            for (int i = first[k]; i < first[k + 1]; i++) v[i] = shardValues[k][i - first[k]];
        }
        return new NamedArrays(names.clone(), copy(0, names.length), v);
    }

    /**
     * The sum of squares of {@code full}'s values, computed as barrier mode computes it: each
     * shard's sum over its tensors in order (as {@link NamedArrays#sumOfSquares}), then the shards'
     * sums added in shard order by {@link #combine}. The form sync mode is to use for gradient-norm
     * clipping so that both modes clip by the same bits.
     */
    public double sumOfSquares(NamedArrays full) {
        double[] perShard = new double[count()];
        for (int k = 0; k < count(); k++) perShard[k] = slice(full, k).sumOfSquares();
        return combine(perShard);
    }

    /** Per-shard sums added in shard (rank) order, a left fold from 0. */
    public static double combine(double[] perShard) {
        double total = 0;
        for (double s : perShard) total += s;
        return total;
    }

    void requireLayout(NamedArrays full) {
        if (full.size() != names.length) {
            throw new IllegalArgumentException(full.size() + " tensors where the split has " + names.length);
        }
        for (int i = 0; i < names.length; i++) {
            if (!names[i].equals(full.name(i)) || !Arrays.equals(shapes[i], full.shape(i))) {
                throw new IllegalArgumentException("tensor " + i + " is " + full.name(i) + " "
                        + Arrays.toString(full.shape(i)) + " where the split has " + names[i] + " "
                        + Arrays.toString(shapes[i]));
            }
        }
    }

    private long[][] copy(int a, int b) {
        long[][] out = new long[b - a][];
        for (int i = a; i < b; i++) out[i - a] = shapes[i].clone();
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Shards[");
        for (int k = 0; k < count(); k++) {
            if (k > 0) sb.append(", ");
            sb.append(k).append(": tensors ").append(first[k]).append("..").append(first[k + 1] - 1)
                    .append(" (").append(elements[k]).append(" values)");
        }
        return sb.append(']').toString();
    }
}
