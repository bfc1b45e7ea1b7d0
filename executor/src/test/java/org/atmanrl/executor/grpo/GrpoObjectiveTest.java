package org.atmanrl.executor.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The per-token loss and its derivative by hand in each clipping region, with asymmetric clip
 * ranges (ε_low = 0.2, ε_high = 0.28) so that using one bound for the other shows.
 */
class GrpoObjectiveTest {
    static final double LOW = 0.2, HIGH = 0.28, TOL = 1e-12;

    /** A token whose ratio is {@code rho}: log π_old = log π_θ − ln ρ, log π_θ = −1.3. */
    static GrpoObjective.TokenTerm term(double rho, double advantage) {
        double lp = -1.3;
        return GrpoObjective.token(lp, lp - Math.log(rho), Double.NaN, advantage, LOW, HIGH, 0);
    }

    @Test
    void belowTheRangeWithNegativeAdvantageIsClipped() {
        // ρ = 0.5, A = −2: min(−1, 0.8·−2 = −1.6) = −1.6, loss 1.6, clipped branch: no gradient.
        GrpoObjective.TokenTerm t = term(0.5, -2);
        assertEquals(0.5, t.ratio(), TOL);
        assertEquals(1.6, t.loss(), TOL);
        assertEquals(0.0, t.dLossDLogProb(), 0.0);
        assertTrue(t.clippedLow());
        assertFalse(t.clippedHigh());
    }

    @Test
    void belowTheRangeWithPositiveAdvantageIsNotClipped() {
        // ρ = 0.5, A = 2: min(1, 1.6) = 1, loss −1, derivative −ρA = −1.
        GrpoObjective.TokenTerm t = term(0.5, 2);
        assertEquals(-1.0, t.loss(), TOL);
        assertEquals(-1.0, t.dLossDLogProb(), TOL);
        assertFalse(t.clipped());
    }

    @Test
    void insideTheRange() {
        // ρ = 1.1, A = 3: loss −3.3 and derivative −3.3; with A = −3 both +3.3.
        GrpoObjective.TokenTerm t = term(1.1, 3);
        assertEquals(-3.3, t.loss(), TOL);
        assertEquals(-3.3, t.dLossDLogProb(), TOL);
        assertFalse(t.clipped());
        GrpoObjective.TokenTerm n = term(0.85, -3);
        assertEquals(2.55, n.loss(), TOL);
        assertEquals(2.55, n.dLossDLogProb(), TOL);
        assertFalse(n.clipped());
    }

    @Test
    void aboveTheRangeWithPositiveAdvantageIsClipped() {
        // ρ = 1.5, A = 2: min(3, 1.28·2 = 2.56) = 2.56; clipped, no gradient. 1.25 is inside [0.8, 1.28].
        GrpoObjective.TokenTerm t = term(1.5, 2);
        assertEquals(-2.56, t.loss(), TOL);
        assertEquals(0.0, t.dLossDLogProb(), 0.0);
        assertTrue(t.clippedHigh());
        assertFalse(t.clippedLow());
        GrpoObjective.TokenTerm inside = term(1.25, 2);
        assertEquals(-2.5, inside.loss(), TOL);
        assertEquals(-2.5, inside.dLossDLogProb(), TOL);
        assertFalse(inside.clipped());
    }

    @Test
    void aboveTheRangeWithNegativeAdvantageIsNotClipped() {
        // ρ = 1.5, A = −2: min(−3, −2.56) = −3, loss 3, derivative −ρA = 3.
        GrpoObjective.TokenTerm t = term(1.5, -2);
        assertEquals(3.0, t.loss(), TOL);
        assertEquals(3.0, t.dLossDLogProb(), TOL);
        assertFalse(t.clipped());
    }

    @Test
    void onABoundTheTokenIsNotClippedAndKeepsItsGradient() {
        // ε = 0 makes ρ = 1 (log π_θ = log π_old) lie exactly on both bounds.
        for (double a : new double[] {2, -2}) {
            GrpoObjective.TokenTerm t = GrpoObjective.token(-0.7, -0.7, Double.NaN, a, 0, 0, 0);
            assertEquals(1.0, t.ratio(), 0.0);
            assertEquals(-a, t.loss(), 0.0);
            assertEquals(-a, t.dLossDLogProb(), 0.0, "PyTorch's clamp passes the gradient at its bounds");
            assertFalse(t.clipped());
        }
    }

    @Test
    void zeroAdvantageHasNoPolicyLossOrGradient() {
        GrpoObjective.TokenTerm t = term(1.7, 0);
        assertEquals(0.0, t.loss(), 0.0);
        assertEquals(0.0, t.dLossDLogProb(), 0.0);
        assertFalse(t.clipped());
    }

    @Test
    void k3AndItsDerivative() {
        // new = −1, ref = −1.5: δ = ref − new = −0.5, k3 = e^−0.5 + 0.5 − 1, d/dnew = β(1 − e^−0.5).
        double beta = 0.04;
        GrpoObjective.TokenTerm t = GrpoObjective.token(-1, -1, -1.5, 0, LOW, HIGH, beta);
        assertEquals(0.10653065971263342, t.k3(), TOL);
        assertEquals(beta * 0.10653065971263342, t.loss(), TOL);
        assertEquals(beta * (1 - 0.6065306597126334), t.dLossDLogProb(), TOL);
        // δ = +0.7: k3 = e^0.7 − 1.7; added to the policy term (ρ = 1, A = 1: −1 and −1).
        GrpoObjective.TokenTerm u = GrpoObjective.token(-2, -2, -1.3, 1, LOW, HIGH, beta);
        assertEquals(0.31375270747047644, u.k3(), TOL);
        assertEquals(-1 + beta * 0.31375270747047644, u.loss(), TOL);
        assertEquals(-1 + beta * (1 - 2.0137527074704766), u.dLossDLogProb(), TOL);
        // The reference equal to the policy: no divergence, no gradient from it.
        GrpoObjective.TokenTerm z = GrpoObjective.token(-2, -2, -2, 0, LOW, HIGH, beta);
        assertEquals(0.0, z.k3(), 0.0);
        assertEquals(0.0, z.dLossDLogProb(), 0.0);
        // β = 0: the reference is not read and k3 not computed.
        assertEquals(0.0, GrpoObjective.token(-2, -2, Double.NaN, 1, LOW, HIGH, 0).k3(), 0.0);
    }

    @Test
    void derivativeMatchesFiniteDifferencesInEveryRegion() {
        SplittableRandom rng = new SplittableRandom(7);
        int clipped = 0, unclipped = 0;
        double h = 1e-6;
        for (int i = 0; i < 2000; i++) {
            double lp = -3 * rng.nextDouble();
            double old = lp + rng.nextDouble(-0.6, 0.6);
            double ref = lp + rng.nextDouble(-1, 1);
            double a = rng.nextDouble(-2, 2);
            double beta = rng.nextBoolean() ? 0 : 0.1;
            double rho = Math.exp(lp - old);
            if (Math.abs(rho - (1 - LOW)) < 1e-4 || Math.abs(rho - (1 + HIGH)) < 1e-4) continue;
            GrpoObjective.TokenTerm t = GrpoObjective.token(lp, old, ref, a, LOW, HIGH, beta);
            double up = GrpoObjective.token(lp + h, old, ref, a, LOW, HIGH, beta).loss();
            double down = GrpoObjective.token(lp - h, old, ref, a, LOW, HIGH, beta).loss();
            double numeric = (up - down) / (2 * h);
            assertEquals(numeric, t.dLossDLogProb(), 1e-7 * Math.max(1, Math.abs(numeric)),
                    "lp " + lp + " old " + old + " ref " + ref + " A " + a + " beta " + beta);
            if (t.clipped()) clipped++; else unclipped++;
        }
        assertTrue(clipped > 100 && unclipped > 100, clipped + " clipped, " + unclipped + " unclipped");
    }
}
