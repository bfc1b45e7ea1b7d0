package org.atmanrl.driver.report;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the sweep page shows without a browser: short numbers over full sort keys, bars named by their point. */
class SweepPageTest {
    @Test
    void decimalsAreShortenedForReadingButSortedByTheirFullValueAndBarsAreNamedByThePoint() {
        String html = SweepPage.render("s", List.of("point", "seconds", "accuracy"),
                List.of(List.of("alpha=0,seed=1", "169.999921898", "0.0480962673"),
                        List.of("alpha=1,seed=2", "207.4", "0.68")),
                List.of("accuracy"));
        assertTrue(html.contains("data-v=\"0.0480962673\">0.04810</td>"), "4 significant digits shown, all kept");
        assertTrue(html.contains("data-v=\"169.999921898\">170.0</td>"), "every decimal column");
        assertTrue(html.contains("\"alpha=0,seed=1\""), "the bar's label is the point");
        assertFalse(html.contains("alpha=0,seed=1, 169"), "not the point with the other columns");
    }
}
