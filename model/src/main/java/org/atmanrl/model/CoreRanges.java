package org.atmanrl.model;

import java.util.stream.IntStream;

/**
 * Splits {@code [0, n)} into contiguous ranges, one per core (fewer when a range would hold less
 * than a minimum), and runs them in parallel: the Java passes over rows or elements between the
 * GEMMs ({@link Elementwise}, {@link RmsNorm}, {@link MaskedSoftmax}, {@link HeadLayout}) and the
 * attention's tiled products ({@link HeadProducts}). A pass must not depend on where the ranges
 * fall: each index computed alone, or sums in an order fixed without regard to the ranges.
 */
final class CoreRanges {
    /** One range's work, {@code [from, to)}. */
    @FunctionalInterface
    interface Body {
        void run(int from, int to);
    }

    private CoreRanges() {}

    static void run(int n, int minimum, Body body) {
        int ranges = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), n / Math.max(1, minimum)));
        if (ranges == 1) {
            body.run(0, n);
            return;
        }
        IntStream.range(0, ranges).parallel()
                .forEach(r -> body.run((int) ((long) n * r / ranges), (int) ((long) n * (r + 1) / ranges)));
    }
}
