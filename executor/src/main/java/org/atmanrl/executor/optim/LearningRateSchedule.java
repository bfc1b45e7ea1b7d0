package org.atmanrl.executor.optim;

import java.io.Serializable;

/**
 * Learning rate as a pure function of the optimizer step (0-based: step 0 is the first update),
 * following the Hugging Face schedules ({@code get_constant_schedule_with_warmup},
 * {@code get_cosine_with_min_lr_schedule_with_warmup}, {@code get_linear_schedule_with_warmup}):
 *
 * <pre>
 *   step &lt; warmup:  peak · step / warmup                      (so step 0 has lr 0, as in HF)
 *   afterwards:     peak · factor(progress),  progress = (step − warmup) / (total − warmup), capped at 1
 *     constant:     factor = 1
 *     cosine:       factor = minRatio + (1 − minRatio) · (1 + cos(π · progress)) / 2
 *     linear:       factor = minRatio + (1 − minRatio) · (1 − progress)
 * </pre>
 *
 * Past {@code totalSteps} the rate stays at {@code peak · minRatio} (HF's cosine would rise again).
 * The SFT of docs/design.md 2.4: {@code cosine(3e-3, 100, total, 0.1)}.
 *
 * @param peak        the learning rate after warm-up
 * @param warmupSteps linear warm-up length; default 0 (the Hugging Face Trainer's)
 * @param decay       {@link Decay#CONSTANT} (default) or {@link Decay#COSINE} (docs/design.md 2.3);
 *                    {@link Decay#LINEAR} is the Hugging Face Trainer's default
 * @param totalSteps  the step at which decay reaches {@code minRatio}; unused by constant
 * @param minRatio    final rate as a fraction of {@code peak}; unused by constant
 */
public record LearningRateSchedule(double peak, long warmupSteps, Decay decay, long totalSteps, double minRatio)
        implements Serializable {

    public enum Decay { CONSTANT, COSINE, LINEAR }

    public LearningRateSchedule {
        if (!(peak >= 0) || Double.isInfinite(peak)) {
            throw new IllegalArgumentException("peak learning rate must be finite and >= 0, got " + peak);
        }
        if (warmupSteps < 0) throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        if (decay == null) throw new IllegalArgumentException("decay must be constant, cosine or linear, got null");
        if (decay != Decay.CONSTANT && totalSteps <= warmupSteps) {
            throw new IllegalArgumentException(decay.name().toLowerCase() + " decay needs totalSteps > warmupSteps, got "
                    + totalSteps + " and " + warmupSteps);
        }
        if (!(minRatio >= 0 && minRatio <= 1)) {
            throw new IllegalArgumentException("minRatio must be in [0, 1], got " + minRatio);
        }
    }

    public static LearningRateSchedule constant(double peak, long warmupSteps) {
        return new LearningRateSchedule(peak, warmupSteps, Decay.CONSTANT, 0, 1);
    }

    public static LearningRateSchedule cosine(double peak, long warmupSteps, long totalSteps, double minRatio) {
        return new LearningRateSchedule(peak, warmupSteps, Decay.COSINE, totalSteps, minRatio);
    }

    public static LearningRateSchedule linear(double peak, long warmupSteps, long totalSteps, double minRatio) {
        return new LearningRateSchedule(peak, warmupSteps, Decay.LINEAR, totalSteps, minRatio);
    }

    /** The learning rate of update {@code step} (0-based). */
    public double at(long step) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
        if (step < warmupSteps) {
            return peak * step / warmupSteps;
        }
        if (decay == Decay.CONSTANT) {
            return peak;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        double shape = decay == Decay.COSINE ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
        return peak * (minRatio + (1 - minRatio) * shape);
    }
}
