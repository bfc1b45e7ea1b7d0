package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.LogSigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The mask parameterisation of docs/design.md 2.2: {@code m_j = sigmoid(theta_j)}, attention
 * bias {@code b_j = log m_j} (computed as log-sigmoid, stable for very negative theta), on the
 * cells where {@code span} is 1 (a completion's CoT) and 0 elsewhere. Shapes are
 * {@code [batch, length]}, matching the key cells of a {@link TokenBatch}.
 */
public final class AttentionBias {
    private AttentionBias() {}

    /** {@code b = span * log sigmoid(theta)}. */
    public static INDArray fromTheta(INDArray theta, INDArray span) {
        INDArray b = Nd4j.exec(new LogSigmoid(theta, theta.ulike()));
        return b.muli(span);
    }

    /** {@code dL/dtheta = dL/db * (1 - sigmoid(theta))} on the span, 0 elsewhere. */
    public static INDArray thetaGradient(INDArray biasGradient, INDArray theta, INDArray span) {
        INDArray oneMinusSigmoid = Nd4j.exec(new Sigmoid(theta, theta.ulike())).rsubi(1.0);
        return oneMinusSigmoid.muli(biasGradient).muli(span);
    }

    /** The mask values {@code m = sigmoid(theta)}. */
    public static INDArray mask(INDArray theta) {
        return Nd4j.exec(new Sigmoid(theta, theta.ulike()));
    }
}
