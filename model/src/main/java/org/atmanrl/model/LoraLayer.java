package org.atmanrl.model;

import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraDropout;
import org.atmanrl.model.lora.LoraTarget;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One decoder layer's LoRA branches within one pass (docs/design.md 3.4): each targeted projection
 * computes {@code y = x W^T + s (d(x) A^T) B^T} with {@code s = alpha / r} and {@code d} the
 * training pass's dropout (the identity otherwise), and keeps what its backward reads: {@code u =
 * d(x) A^T [N, r]} and, only with dropout, the scaled mask {@code [N, in]}. Untargeted projections
 * are plain {@link Linear}s. The backward adds {@code dA += s (dy B)^T d(x)} and {@code dB += s dy^T
 * u} into the gradient adapters when asked, and the branch's share {@code d'(s (dy B) A)} into the
 * input gradient; the base weight gets no gradient.
 */
final class LoraLayer implements AutoCloseable {
    private static final LoraTarget[] TARGETS = LoraTarget.values();

    private final LoraAdapters adapters;
    private final int layer;
    private final double scaling;
    /** Null when this pass does not train or lora_dropout is 0: no mask is drawn or kept. */
    private final LoraDropout dropout;
    private final TokenBatch cells;
    private final boolean keep;
    private final INDArray[] u = new INDArray[TARGETS.length];
    private final INDArray[] mask = new INDArray[TARGETS.length];

    LoraLayer(LoraAdapters adapters, int layer, LoraDropout dropout, TokenBatch cells, boolean keep) {
        this.adapters = adapters;
        this.layer = layer;
        this.scaling = adapters.scaling();
        this.dropout = adapters.config().dropout() > 0 ? dropout : null;
        this.cells = cells;
        this.keep = keep;
    }

    /** {@code x W^T}, plus the adapter branch when {@code target} has one; {@code lora} may be null. */
    static INDArray forward(LoraLayer lora, LoraTarget target, INDArray x, INDArray w) {
        INDArray y = Linear.forward(x, w);
        if (lora != null) lora.addBranch(target, x, y);
        return y;
    }

    /** Adds the adapter branch of {@code target} to {@code y = x W^T} when it has one; {@code lora} may be null. */
    static void addBranch(LoraLayer lora, LoraTarget target, INDArray x, INDArray y) {
        if (lora != null) lora.addBranch(target, x, y);
    }

    private void addBranch(LoraTarget target, INDArray x, INDArray y) {
        INDArray a = adapters.a(layer, target);
        if (a == null) return;
        INDArray m = dropout == null ? null : mask(target, (int) x.size(1), x.dataType());
        INDArray xd = m == null ? x : x.mul(m);
        INDArray ux = Nd4j.gemm(xd, a, false, true);                                  // [N, r]
        Nd4j.gemm(ux, adapters.b(layer, target), y, false, true, scaling, 1.0);       // y += s u B^T
        if (xd != x) xd.close();
        if (keep) {
            u[target.ordinal()] = ux;
            mask[target.ordinal()] = m;
        } else {
            Arrays2.release(ux, m);
        }
    }

    /**
     * The branch's backward for {@code target} with output gradient {@code dy [N, out]} and the
     * projection's input {@code x [N, in]}: adds A's and B's gradients into {@code grads} when given
     * and the branch's input gradient into {@code dx} when given. Nothing for untargeted projections.
     */
    static void backward(LoraLayer lora, LoraTarget target, INDArray dy, INDArray x, LoraAdapters grads, INDArray dx) {
        if (lora != null) lora.branchBackward(target, dy, x, grads, dx);
    }

    private void branchBackward(LoraTarget target, INDArray dy, INDArray x, LoraAdapters grads, INDArray dx) {
        INDArray a = adapters.a(layer, target);
        if (a == null || (grads == null && dx == null)) return;
        INDArray ux = u[target.ordinal()], m = mask[target.ordinal()];
        if (ux == null) {
            throw new IllegalStateException("the LoRA branch of layer " + layer + " " + target.peftName() + " kept nothing");
        }
        INDArray du = Nd4j.gemm(dy, adapters.b(layer, target), false, false).muli(scaling);  // s dy B, [N, r]
        if (grads != null) {
            Nd4j.gemm(dy, ux, grads.b(layer, target), true, false, scaling, 1.0);          // dB += s dy^T u
            INDArray xd = m == null ? x : x.mul(m);
            Nd4j.gemm(du, xd, grads.a(layer, target), true, false, 1.0, 1.0);              // dA += du^T d(x)
            if (xd != x) xd.close();
        }
        if (dx != null) {
            if (m == null) {
                Nd4j.gemm(du, a, dx, false, false, 1.0, 1.0);                               // dx += du A
            } else {
                INDArray dxd = Nd4j.gemm(du, a, false, false).muli(m);
                dx.addi(dxd);
                dxd.close();
            }
        }
        du.close();
    }

    /**
     * The scaled keep mask {@code [N, in]} of {@code target}: {@code 1 / (1 - p)} where the draw
     * keeps the feature, 0 where it drops it ({@link LoraDropout}).
     */
    private INDArray mask(LoraTarget target, int in, DataType dt) {
        int rows = cells.batch(), t = cells.length();
        double p = adapters.config().dropout(), kept = 1 / (1 - p);
        double[] m = new double[rows * t * in];
        for (int b = 0; b < rows; b++) {
            long key = dropout.key(b, layer, target);
            int base = b * t * in;
            for (int i = 0; i < t * in; i++) {
                m[base + i] = RowRandom.uniform(dropout.seed(), key, i) < p ? 0 : kept;
            }
        }
        INDArray d = Nd4j.create(m, new long[] {(long) rows * t, in}, 'c');
        if (dt == DataType.DOUBLE) return d;
        INDArray c = d.castTo(dt);
        d.close();
        return c;
    }

    @Override
    public void close() {
        Arrays2.release(u);
        Arrays2.release(mask);
    }
}
