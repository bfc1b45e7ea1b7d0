package org.atmanrl.driver.bench;

import java.util.Collection;
import org.atmanrl.model.Gradients;
import org.atmanrl.model.LlamaWeights;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Frees off-heap buffers at once rather than whenever the garbage collector gets to them. */
final class NdArrays {
    private NdArrays() {}

    static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && !a.wasClosed() && a.closeable()) {
                a.close();
            }
        }
    }

    static void release(LlamaWeights weights) {
        if (weights != null) {
            Collection<INDArray> all = weights.named().values();
            release(all.toArray(INDArray[]::new));
        }
    }

    static void release(Gradients gradients) {
        release(gradients.weights());
        release(gradients.bias());
    }
}
