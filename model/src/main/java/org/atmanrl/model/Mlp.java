package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SwishDerivative;
import org.nd4j.linalg.factory.Nd4j;

/** SwiGLU: {@code down(silu(gate(x)) * up(x))}. */
final class Mlp {
    private Mlp() {}

    /** Activations the backward pass reads. */
    record Saved(INDArray x, INDArray gate, INDArray up, INDArray hidden) implements AutoCloseable {
        @Override public void close() { Arrays2.release(gate, up, hidden); }
    }

    static INDArray forward(INDArray x, LayerWeights w, Saved[] saved) {
        INDArray g = Linear.forward(x, w.gate());
        INDArray u = Linear.forward(x, w.up());
        INDArray h = Nd4j.exec(new Swish(g, g.ulike())).muli(u);
        INDArray out = Linear.forward(h, w.down());
        if (saved != null) {
            saved[0] = new Saved(x, g, u, h);
        } else {
            Arrays2.release(g, u, h);
        }
        return out;
    }

    /** Returns dL/dx; adds weight gradients into {@code grad} when it is given. */
    static INDArray backward(INDArray dOut, Saved s, LayerWeights w, LayerWeights grad) {
        if (grad != null) {
            Linear.accumulateWeightGradient(dOut, s.hidden(), grad.down());
        }
        INDArray dh = Linear.inputGradient(dOut, w.down(), null);
        // du = dh * silu(g);  dg = dh * u * silu'(g)
        INDArray du = Nd4j.exec(new Swish(s.gate(), s.gate().ulike())).muli(dh);
        INDArray dg = Nd4j.exec(new SwishDerivative(s.gate(), s.gate().ulike())).muli(s.up()).muli(dh);
        dh.close();
        if (grad != null) {
            Linear.accumulateWeightGradient(dg, s.x(), grad.gate());
            Linear.accumulateWeightGradient(du, s.x(), grad.up());
        }
        INDArray dx = Linear.inputGradient(dg, w.gate(), null);
        Linear.inputGradient(du, w.up(), dx);
        Arrays2.release(du, dg);
        return dx;
    }
}
