package org.atmanrl.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the sweep page shows without a browser: short numbers over full sort keys, bars named by
 * their point; over seeds, means with half-widths and each mean's bar beside its interval's.
 */
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
        assertFalse(html.contains("Aggregated over seeds"), "no seed section without a seed table");
    }

    @Test
    void theSeedSectionShowsMeansWithHalfWidthsAndChartsEachMeanBesideItsInterval() {
        List<String> columns = new java.util.ArrayList<>(List.of("group", "alpha", "seeds", "finished"));
        for (String m : List.of("accuracy", "r_sal")) {
            for (String s : SweepPage.SeedTable.STATISTICS) columns.add(SweepPage.SeedTable.column(m, s));
        }
        SweepPage.SeedTable seeds = new SweepPage.SeedTable(columns,
                List.of(List.of("alpha=0", "0", "3", "3", "0.6", "0.1", "0.35", "0.85", "3", "", "", "", "", "0"),
                        List.of("alpha=1", "1", "3", "1", "0.8", "", "", "", "1", "", "", "", "", "0")),
                List.of("accuracy", "r_sal"));
        String html = SweepPage.render("s", List.of("point", "accuracy"), List.of(List.of("alpha=0,seed=1", "0.5")),
                List.of("accuracy"), seeds);
        String section = html.substring(html.indexOf("<h2>Aggregated over seeds</h2>"));
        assertTrue(section.contains("<th>group</th><th>alpha</th><th>seeds</th><th>finished</th><th data-numeric>accuracy</th></tr>"),
                "the group's columns, then one column per metric with a mean; r_sal has none and is left out");
        assertTrue(section.contains("data-v=\"0.6\" title=\"n = 3, sd 0.1000, 95% CI [0.3500, 0.8500]\">0.6000 &plusmn; 0.2500</td>"),
                "mean and half-width; sorted by the mean");
        assertTrue(section.contains("data-v=\"0.8\" title=\"n = 1\">0.8000</td>"), "one seed: no interval");
        assertEquals(1, section.split("<canvas", -1).length - 1, "a chart per metric with a mean");
        assertTrue(section.contains("\"data\":[0.6,0.8]}"), "the means as bars");
        assertTrue(section.contains("\"label\":\"95% confidence interval\"") && section.contains("\"data\":[[0.35,0.85],null]"),
                "the interval as a floating bar, none for one seed");
    }
}
