package org.atmanrl.driver.step;

/**
 * One update of the mask network (docs/design.md 2.6): the mean objective over the rows it
 * learned from, its mean gradient's norm, the rows, the learning rate, and whether the update was
 * skipped (no rows, or a NaN or infinite gradient).
 */
public record HeadUpdate(double objective, double gradNorm, long rows, double lr, boolean skipped) {
}
