package org.atmanrl.executor.task;

/** Seconds one step spent in each phase, for the share of saliency fitting in a step. */
public record StepTimings(double generation, double saliency, double gradient) {
    public double total() {
        return generation + saliency + gradient;
    }

    public StepTimings plus(StepTimings o) {
        return new StepTimings(generation + o.generation, saliency + o.saliency, gradient + o.gradient);
    }

    public StepTimings withGradient(double seconds) {
        return new StepTimings(generation, saliency, gradient + seconds);
    }
}
