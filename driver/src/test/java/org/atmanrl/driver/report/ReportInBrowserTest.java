package org.atmanrl.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.model.io.HadoopFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report and the sweep page opened in real headless Chromium: every chart the page means to
 * draw was drawn by Chart.js (the page's script marks each canvas with its non-blank pixels), the
 * heat map has one cell per CoT token and row, and the screenshot shows ink and the heat map's
 * colours. Without the inlined library or with an empty heat map these fail.
 */
class ReportInBrowserTest {
    /** A chart's axes, ticks and labels alone paint a few thousand pixels; data lines and bars many more. */
    private static final int MIN_INK = 3000;

    @TempDir
    Path tmp;

    @Test
    void everyChartRendersAndTheHeatmapHasOneCellPerCotTokenAndRow() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.require();
        Path run = RunFixture.write(tmp.resolve("run"));
        FileSystem fs = HadoopFiles.fileSystem(new org.apache.hadoop.fs.Path(run.toUri()), new Configuration());
        RunReport report = RunReport.read(new RunDirectory(fs, new org.apache.hadoop.fs.Path(run.toUri())), null);
        Path page = tmp.resolve("report.html");
        Files.writeString(page, report.html());

        String dom = chromium.dumpDom(page, tmp);
        List<String> expected = report.chartCaptions();
        assertEquals(List.of("Reward", "Accuracy", "Saliency terms N, C, S", "r_sal", "KL to the reference",
                "Gradient norm", "Learning rate", "Step time split", "Test evaluation"), expected);
        assertEquals(String.valueOf(expected.size()), attribute(dom, "<body", "data-charts-drawn"),
                "charts drawn by the page's script");
        for (String caption : expected) {
            String canvas = canvasTag(dom, caption);
            assertTrue(canvas.contains("data-drawn=\"true\""), caption + " was not drawn: " + canvas);
            int ink = Integer.parseInt(attribute(canvas, "<canvas", "data-ink"));
            assertTrue(ink > MIN_INK, caption + " painted only " + ink + " pixels");
        }
        int cells = count(dom, "class=\"cot mask\"") + count(dom, "class=\"cot drop\"")
                + count(dom, "class=\"cot grad\"");
        assertEquals(report.heatmapCells(), cells);
        assertEquals(3 * (12 + 18), cells); // the fixture's two fitted CoTs, in three rows each (m*, AtMan, gradient)
        assertTrue(dom.contains("&lt;3*4&gt;=?"), "the prompt's markup is shown as text");
        assertTrue(dom.contains("&lt;b&gt;sft&lt;/b&gt;"), "the config's markup is shown as text");
        assertTrue(dom.contains("early_answering.area_over_curve"), "the faithfulness measures are listed");

        BufferedImage shot = ImageIO.read(chromium.screenshot(page, tmp, 3000).toFile());
        double nonWhite = share(shot, (r, g, b) -> r < 235 || g < 235 || b < 235);
        assertTrue(nonWhite > 0.03 && nonWhite < 0.6, "share of painted pixels " + nonWhite);
        // the mask's saturated blue and the AtMan drops' red, as the heat map's legend and cells use them
        assertTrue(share(shot, (r, g, b) -> b > 120 && r < 80 && g < 130) > 0.0005, "no heat-map blue on the page");
        assertTrue(share(shot, (r, g, b) -> r > 150 && g < 90 && b < 100) > 0.0005, "no heat-map red on the page");
    }

    @Test
    void theSweepPageDrawsOneBarChartPerMetricAndASortableTable() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.require();
        String html = SweepPage.render("alpha sweep", List.of("alpha", "lr", "accuracy", "r_sal"),
                List.of(List.of("0", "1e-5", "0.41", "0.02"), List.of("0.25", "1e-5", "0.44", "0.05"),
                        List.of("0.5", "1e-5", "0.39", "")),
                List.of("accuracy", "r_sal"));
        Path page = tmp.resolve("sweep.html");
        Files.writeString(page, html);
        String dom = chromium.dumpDom(page, tmp);
        assertEquals("2", attribute(dom, "<body", "data-charts-drawn"));
        for (String caption : List.of("accuracy", "r_sal")) {
            int ink = Integer.parseInt(attribute(canvasTag(dom, caption), "<canvas", "data-ink"));
            assertTrue(ink > MIN_INK, caption + " painted only " + ink + " pixels");
        }
        assertEquals(2, count(dom, "<th data-numeric"));
        assertEquals(3, count(dom, "<tr><td"));
    }

    @Test
    void theSeedSectionDrawsEachMeanBesideItsIntervalBar() throws Exception {
        HeadlessChromium chromium = HeadlessChromium.require();
        List<String> columns = new java.util.ArrayList<>(List.of("group", "seeds", "finished"));
        for (String s : SweepPage.SeedTable.STATISTICS) columns.add(SweepPage.SeedTable.column("accuracy", s));
        SweepPage.SeedTable seeds = new SweepPage.SeedTable(columns,
                List.of(List.of("alpha=0", "3", "3", "0.6", "0.1", "0.35", "0.85", "3"),
                        List.of("alpha=1", "3", "1", "0.4", "", "", "", "1")),
                List.of("accuracy"));
        String html = SweepPage.render("seeds", List.of("point", "accuracy"),
                List.of(List.of("alpha=0,seed=1", "0.5"), List.of("alpha=1,seed=1", "0.4")), List.of("accuracy"), seeds);
        Path page = tmp.resolve("seeds.html");
        Files.writeString(page, html);
        String dom = chromium.dumpDom(page, tmp);
        assertEquals("2", attribute(dom, "<body", "data-charts-drawn"));
        int ink = Integer.parseInt(attribute(canvasTag(dom, "accuracy over seeds"), "<canvas", "data-ink"));
        assertTrue(ink > MIN_INK, "accuracy over seeds painted only " + ink + " pixels");
        // the interval's sky blue (#56B4E9) is only in the chart over seeds: the floating bar was drawn
        BufferedImage shot = ImageIO.read(chromium.screenshot(page, tmp, 1400).toFile());
        double sky = share(shot, (r, g, b) -> Math.abs(r - 0x56) < 12 && Math.abs(g - 0xB4) < 12 && Math.abs(b - 0xE9) < 12);
        assertTrue(sky > 0.001, "share of interval-bar pixels " + sky);
    }

    private interface Rgb {
        boolean test(int r, int g, int b);
    }

    private static double share(BufferedImage img, Rgb p) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int c = img.getRGB(x, y);
                if (p.test((c >> 16) & 255, (c >> 8) & 255, c & 255)) n++;
            }
        }
        return (double) n / ((long) img.getWidth() * img.getHeight());
    }

    private static String canvasTag(String dom, String caption) {
        Matcher m = Pattern.compile("<canvas[^>]*data-caption=\"" + Pattern.quote(caption) + "\"[^>]*>").matcher(dom);
        assertTrue(m.find(), "no canvas for " + caption);
        return m.group();
    }

    private static String attribute(String dom, String tag, String name) {
        Matcher m = Pattern.compile(Pattern.quote(tag) + "[^>]*\\s" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(dom);
        assertTrue(m.find(), "no " + name + " on " + tag);
        return m.group(1);
    }

    private static int count(String s, String needle) {
        int n = 0;
        for (int at = s.indexOf(needle); at >= 0; at = s.indexOf(needle, at + 1)) n++;
        return n;
    }
}
