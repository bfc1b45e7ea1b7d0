package org.atmanrl.driver.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.atmanrl.executor.eval.SaliencySamples;
import org.junit.jupiter.api.Test;

/**
 * The heat map's third row, the gradient attribution, in the page's markup: one cell per CoT token
 * with its value, on the diverging scale divided by the sample's largest |value|, a label and a
 * legend line; a samples file written before the attribution existed draws the two rows it has.
 */
class SaliencyHeatmapTest {
    private static final Pattern GRADIENT_CELL =
            Pattern.compile("<span class=\"cot grad\" style=\"background:([^;\"]+)[^\"]*\" data-v=\"([^\"]+)\"");

    @Test
    void aFittedSampleHasAGradientRowUnderItsCotTokens() {
        SaliencySamples.Sample s = RunFixture.samples().samples().get(0);
        String html = SaliencyHeatmap.render(s);
        double[] g = s.gradientAttribution();
        double largest = 0;
        for (double x : g) largest = Math.max(largest, Math.abs(x));
        List<Double> values = new ArrayList<>();
        Matcher m = GRADIENT_CELL.matcher(html);
        while (m.find()) {
            double v = Double.parseDouble(m.group(2));
            values.add(v);
            assertEquals(SaliencyHeatmap.signedColour(v / largest), m.group(1), "the colour of " + v);
        }
        assertArrayEquals(g, values.stream().mapToDouble(Double::doubleValue).toArray(), 0);
        assertTrue(html.contains("<span>m*</span><span>AtMan</span><span>&part;l/&part;b</span>"), "the rows' labels");
        // a column outside the CoT has the token once per row, so the columns line up
        assertTrue(html.contains("<div class=\"tc ans\"><span>1</span><span>1</span><span>1</span></div>"), html);
        assertTrue(SaliencyHeatmap.legend().contains("gradient &part;l/&part;b<sub>j</sub> at b = 0"));
        assertEquals(3 * (12 + 18), SaliencyHeatmap.cotCells(RunFixture.samples()));
    }

    @Test
    void aSamplesFileWithoutTheAttributionDrawsTwoRows() {
        ObjectNode json = RunFixture.samples().toJson();
        for (var o : json.get("samples")) ((ObjectNode) o).remove("gradient_attribution");
        SaliencySamples old = SaliencySamples.fromJson(json);
        String html = SaliencyHeatmap.render(old.samples().get(0));
        assertFalse(html.contains("cot grad") || html.contains("&part;l/&part;b"), html);
        assertTrue(html.contains("<div class=\"tc ans\"><span>1</span><span>1</span></div>"), html);
        assertEquals(2 * (12 + 18), SaliencyHeatmap.cotCells(old));
    }
}
