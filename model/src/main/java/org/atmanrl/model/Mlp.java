package org.atmanrl.model;

import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraTarget;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.factory.Nd4j;

/** SwiGLU: {@code down(silu(gate(x)) * up(x))}. */
final class Mlp {
    private Mlp() {}

    /** Activations the backward pass reads. */
    record Saved(INDArray x, INDArray gate, INDArray up, INDArray hidden) implements AutoCloseable {
        @Override public void close() { Arrays2.release(gate, up, hidden); }
    }

    /** With the layer's LoRA branches when {@code lora} is given (docs/design.md 3.4). */
    static INDArray forward(INDArray x, LayerWeights w, Saved[] saved, LoraLayer lora) {
        INDArray g = LoraLayer.forward(lora, LoraTarget.GATE_PROJ, x, w.gate());
        INDArray u = LoraLayer.forward(lora, LoraTarget.UP_PROJ, x, w.up());
        INDArray h = BufferPool.takeLike(g);
        Nd4j.exec(new Swish(g, h));
        h.muli(u);
        INDArray out = LoraLayer.forward(lora, LoraTarget.DOWN_PROJ, h, w.down());
        if (saved != null) {
            saved[0] = new Saved(x, g, u, h);
        } else {
            Arrays2.release(g, u, h);
        }
        return out;
    }

    /**
     * Returns dL/dx; adds weight gradients into {@code grad} when it is given, and the LoRA branches'
     * into {@code loraGrad} (their share of dL/dx always).
     */
    static INDArray backward(INDArray dOut, Saved s, LayerWeights w, LayerWeights grad, LoraLayer lora,
                             LoraAdapters loraGrad) {
        if (grad != null) {
            Linear.accumulateWeightGradient(dOut, s.hidden(), grad.down());
        }
        INDArray dh = Linear.inputGradient(dOut, w.down(), null);
        LoraLayer.backward(lora, LoraTarget.DOWN_PROJ, dOut, s.hidden(), loraGrad, dh);
        INDArray du = BufferPool.takeLike(s.gate()), dg = BufferPool.takeLike(s.gate());
        gateAndUpGradients(s.gate(), s.up(), dh, dg, du);
        Arrays2.release(dh);
        if (grad != null) {
            Linear.accumulateWeightGradient(dg, s.x(), grad.gate());
            Linear.accumulateWeightGradient(du, s.x(), grad.up());
        }
        INDArray dx = Linear.inputGradient(dg, w.gate(), null);
        Linear.inputGradient(du, w.up(), dx);
        LoraLayer.backward(lora, LoraTarget.GATE_PROJ, dg, s.x(), loraGrad, dx);
        LoraLayer.backward(lora, LoraTarget.UP_PROJ, du, s.x(), loraGrad, dx);
        Arrays2.release(du, dg);
        return dx;
    }

    /**
     * {@code du = dh * silu(g)} and {@code dg = dh * u * silu'(g)}, where {@code silu'(g) =
     * s (1 + g (1 - s))} with {@code s = sigmoid(g)}, in one pass in double. Not ND4J's Swish and
     * SwishDerivative: five passes over {@code [N, I]} with two exponentials an element, and
     * SwishDerivative's {@code e^g (g + e^g + 1) / (e^g + 1)^2} in float is NaN from g = 45 on,
     * a pre-activation large models do reach (docs/design.md 6.1, "Element-wise loops").
     */
    static void gateAndUpGradients(INDArray g, INDArray u, INDArray dh, INDArray dg, INDArray du) {
        INDArray gs = Arrays2.flatOrCopy(g), us = Arrays2.flatOrCopy(u), dhs = Arrays2.flatOrCopy(dh);
        Elementwise.map(new INDArray[] {gs, us, dhs}, new INDArray[] {dg, du}, (in, out, n) -> {
            double[] gv = in[0], uv = in[1], dhv = in[2], dgv = out[0], duv = out[1];
            // the exponentials first, into du: a loop with a call in it stays scalar and spills around
            // the call; the loop after it has none and the JIT vectorizes it (same operations, same bits)
            for (int i = 0; i < n; i++) {
                duv[i] = Math.exp(-gv[i]);
            }
            for (int i = 0; i < n; i++) {
                double x = gv[i], sig = 1 / (1 + duv[i]); // exp overflows to infinity: sig = 0, not NaN
                duv[i] = dhv[i] * (x * sig);
                dgv[i] = dhv[i] * uv[i] * (sig * (1 + x * (1 - sig)));
            }
        });
        for (INDArray copy : new INDArray[] {gs, us, dhs}) {
            if (copy != g && copy != u && copy != dh) copy.close();
        }
    }
}
