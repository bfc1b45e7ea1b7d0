package org.atmanrl.driver.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.atmanrl.driver.report.SweepPage;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Aggregation over seeds on hand-made results (no training): a group's mean, sample sd and
 * Student-t interval, worked out here by hand; a group with failed and pending seeds; grids
 * with nothing to aggregate; the files, the console table and the page.
 */
class SweepSeedsTest {
    @TempDir
    java.nio.file.Path tmp;

    /** alpha=0 has seeds with accuracy 0.5, 0.6, 0.7; alpha=0.5 one finished seed (0.8), one failed, one pending. */
    private SweepResults results() throws Exception {
        SweepResults r = new SweepResults(plan("  saliency.alpha: [0, 0.5]\n  seed: [1, 2, 3]\n"));
        r.set(0, finished("{\"steps\": 2, \"after\": {\"accuracy\": 0.5, \"mean_saliency\": -0.25}}"));
        r.set(1, finished("{\"steps\": 2, \"after\": {\"accuracy\": 0.6, \"mean_saliency\": -0.25}}"));
        r.set(2, finished("{\"steps\": 2, \"after\": {\"accuracy\": 0.7, \"mean_saliency\": -0.25}}"));
        r.set(3, finished("{\"steps\": 2, \"after\": {\"accuracy\": 0.8}}"));
        // a failed point counts for nothing, even with numbers to show (none has them today)
        r.set(4, new SweepResults.PointResult(SweepResults.Status.FAILED,
                JsonFiles.MAPPER.readTree("{\"after\": {\"accuracy\": 0.1}}"), "diverged"));
        return r;
    }

    private SweepPlan plan(String gridLines) throws Exception {
        java.nio.file.Path f = tmp.resolve("grid.yaml");
        Files.writeString(f, "set: {model: m}\noutput: " + tmp.resolve("out") + "\ngrid:\n" + gridLines);
        return SweepPlan.of(SweepGrid.read(new Configuration(), f.toString(), List.of()), new Configuration());
    }

    private static SweepResults.PointResult finished(String summary) throws Exception {
        return new SweepResults.PointResult(SweepResults.Status.FINISHED, JsonFiles.MAPPER.readTree(summary), null);
    }

    /** t(0.975, 2) in closed form: with 2 degrees of freedom t's cdf inverts to (2p - 1) / sqrt(2p(1 - p)). */
    private static final double T_975_2 = (2 * 0.975 - 1) / Math.sqrt(2 * 0.975 * 0.025);

    @Test
    void threeSeedsGiveTheirMeanSampleSdAndStudentTInterval() throws Exception {
        // tables give t(0.975, 2) = 4.302652729911275 (SciPy) to 2e-10; the closed form is exact
        assertEquals(4.302652729911275, T_975_2, 1e-9);
        assertEquals(T_975_2, MeanInterval.tQuantile(2), 1e-12);

        SeedAggregate a = results().overSeeds().get(0);
        assertEquals("alpha=0", a.group());
        assertEquals(3, a.seeds());
        assertEquals(3, a.finished());
        MeanInterval accuracy = a.metrics().get("accuracy");
        double mean = (0.5 + 0.6 + 0.7) / 3;
        // sample sd: squares 0.01 + 0 + 0.01 over n - 1 = 2; the population's (over 3) would be 0.0816
        double sd = Math.sqrt((0.01 + 0 + 0.01) / 2);
        double halfWidth = T_975_2 * sd / Math.sqrt(3);
        assertEquals(3, accuracy.n());
        assertEquals(0.6, accuracy.mean(), 1e-12);
        assertEquals(0.1, accuracy.sd(), 1e-12);
        assertEquals(sd, accuracy.sd(), 1e-12);
        assertEquals(0.248413, halfWidth, 1e-6);
        assertEquals(halfWidth, accuracy.halfWidth(), 1e-12);
        assertEquals(mean - halfWidth, accuracy.low(), 1e-12);
        assertEquals(mean + halfWidth, accuracy.high(), 1e-12);
        // equal values: exactly their value, sd 0, and the interval shrinks to the mean
        assertEquals(new MeanInterval(3, -0.25, 0.0, 0.0), a.metrics().get("r_sal"));
        assertEquals(new MeanInterval(3, 0.4, 0.0, 0.0), MeanInterval.of(0.4, 0.4, 0.4));
        // absent in every summary: no value at all
        assertEquals(new MeanInterval(0, null, null, null), a.metrics().get("filler_accuracy"));
    }

    @Test
    void onlyFinishedSeedsCountAndOneOfThemGivesAMeanWithoutInterval() throws Exception {
        SweepResults r = results();
        SeedAggregate a = r.overSeeds().get(1);
        assertEquals("alpha=0.5", a.group());
        assertEquals(3, a.seeds());
        assertEquals(1, a.finished());
        assertEquals(new MeanInterval(1, 0.8, null, null), a.metrics().get("accuracy"));

        List<List<String>> csv = SweepCsvTest.parse(r.seedCsv());
        List<String> header = csv.get(0);
        assertEquals(List.of("group", "saliency.alpha", "seeds", "finished", "accuracy_mean", "accuracy_sd",
                "accuracy_ci_low", "accuracy_ci_high", "accuracy_n", "r_sal_mean"), header.subList(0, 10));
        List<String> row = csv.get(2);
        assertEquals(List.of("alpha=0.5", "0.5", "3", "1", "0.8", "", "", "", "1"), row.subList(0, 9));
        assertFalse(String.join(",", csv.get(1)).contains("NaN") || String.join(",", row).contains("NaN"));
        assertEquals("3", csv.get(1).get(header.indexOf("accuracy_n")));
        assertEquals(0.6 + T_975_2 * 0.1 / Math.sqrt(3), Double.parseDouble(csv.get(1).get(header.indexOf("accuracy_ci_high"))), 1e-12);
        assertEquals("", csv.get(1).get(header.indexOf("filler_accuracy_mean")));
        assertEquals("0", csv.get(1).get(header.indexOf("filler_accuracy_n")));

        JsonNode json = JsonFiles.MAPPER.readTree(r.json());
        assertEquals(6, json.get("points").size());
        assertEquals("diverged", json.at("/points/4/message").asText());
        JsonNode g = json.at("/aggregated/1");
        assertEquals("alpha=0.5", g.get("group").asText());
        assertEquals(0.5, g.at("/values/saliency.alpha").doubleValue());
        assertEquals(List.of("saliency.alpha"), List.copyOf(iterable(g.get("values").fieldNames())));
        assertEquals(1, g.get("finished").intValue());
        assertEquals(0.8, g.get("accuracy_mean").doubleValue());
        assertTrue(g.get("accuracy_sd").isNull() && g.get("accuracy_ci_low").isNull() && g.get("accuracy_ci_high").isNull());
        assertEquals(1, g.get("accuracy_n").intValue());
        assertEquals(0.1, json.at("/aggregated/0/accuracy_sd").doubleValue(), 1e-12);

        String console = TextTable.renderOverSeeds(r.overSeeds());
        assertTrue(console.startsWith("group      seeds          accuracy"), console);
        assertTrue(console.contains("alpha=0      3/3  0.6000 +- 0.2484"), console);
        assertTrue(console.contains("alpha=0.5    1/3            0.8000"), console);
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void aGridWithoutSeveralSeedsPerSettingHasNoTableOverSeeds() throws Exception {
        SweepResults noSeed = new SweepResults(plan("  saliency.alpha: [0, 0.5]\n"));
        assertEquals("the grid has no seed key", noSeed.overSeedsOmitted());
        assertEquals(List.of(), noSeed.overSeeds());
        assertNull(noSeed.seedTable());
        assertNull(noSeed.seedCsv());
        assertEquals(0, JsonFiles.MAPPER.readTree(noSeed.json()).get("aggregated").size());

        SweepResults oneSeed = new SweepResults(plan("  saliency.alpha: [0, 0.5]\n  seed: [7]\n"));
        assertEquals("seed has one value, so every group is one point", oneSeed.overSeedsOmitted());
        assertNull(oneSeed.seedCsv());

        // seed alone is one group of every point, wherever seed stands in the grid
        SweepResults onlySeeds = new SweepResults(plan("  seed: [1, 2]\n"));
        assertEquals(List.of("all"), onlySeeds.overSeeds().stream().map(SeedAggregate::group).toList());
        SweepResults seedFirst = new SweepResults(plan("  seed: [1, 2]\n  saliency.alpha: [0, 0.5]\n"));
        assertEquals(List.of("alpha=0", "alpha=0.5"), seedFirst.overSeeds().stream().map(SeedAggregate::group).toList());
        assertEquals(2, seedFirst.overSeeds().get(1).seeds());
    }

    @Test
    void theFilesHoldTheTableOverSeedsOnlyWhenThereIsOne() throws Exception {
        java.nio.file.Path dir = tmp.resolve("out");
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(dir.toUri());
        RunDirectory sweep = new RunDirectory(HadoopFiles.fileSystem(root, new Configuration()), root);
        SweepResults r = results();
        r.write(sweep);
        assertEquals(r.seedCsv(), Files.readString(dir.resolve(SweepResults.OVER_SEEDS_CSV)));
        String html = Files.readString(dir.resolve("results.html"));
        assertTrue(html.contains("<h2>Aggregated over seeds</h2>"), "the section over seeds");
        assertTrue(html.contains(">0.6000 &plusmn; 0.2484</td>"), "mean and half-width of alpha=0's accuracy");
        assertTrue(html.contains("title=\"n = 3, sd 0.1000, 95% CI [0.3516, 0.8484]\""), "n, sd and the interval on hovering");
        assertTrue(html.contains("title=\"n = 1\">0.8000</td>"), "one seed: its value, no interval");
        assertTrue(html.contains("\"label\":\"95% confidence interval\""), "an interval dataset");
        assertTrue(html.contains("\"data\":[[0.35158"), "alpha=0's interval drawn from low to high");
        String content = html.substring(html.indexOf("<body>"), html.lastIndexOf("<script>"));
        assertFalse(content.contains("NaN"), "no NaN in the page's tables and chart data (scripts aside)");

        java.nio.file.Path other = tmp.resolve("no-seed");
        org.apache.hadoop.fs.Path otherRoot = new org.apache.hadoop.fs.Path(other.toUri());
        SweepResults noSeed = new SweepResults(plan("  saliency.alpha: [0, 0.5]\n"));
        noSeed.write(new RunDirectory(HadoopFiles.fileSystem(otherRoot, new Configuration()), otherRoot));
        assertTrue(Files.exists(other.resolve("results.csv")));
        assertFalse(Files.exists(other.resolve(SweepResults.OVER_SEEDS_CSV)));
        assertFalse(Files.readString(other.resolve("results.html")).contains("Aggregated over seeds"));
    }

    @Test
    void aFinishedSweepPrintsTheTableOverSeedsAfterThePointsTable() throws Exception {
        // every point has its summary: nothing trains, and no Spark starts
        SweepPlan plan = plan("  saliency.alpha: [0, 0.5]\n  seed: [1, 2]\n");
        Files.createDirectories(tmp.resolve("out"));
        Files.writeString(tmp.resolve("out").resolve(SweepPlan.RECORD), plan.record());
        double[] accuracy = {0.5, 0.7, 0.2, 0.2};
        for (SweepPlan.Point p : plan.points()) {
            java.nio.file.Path dir = Files.createDirectories(java.nio.file.Path.of(p.config().output()));
            Files.writeString(dir.resolve(RunDirectory.SUMMARY), "{\"steps\": 2, \"after\": {\"accuracy\": "
                    + accuracy[p.index()] + "}}");
        }
        org.atmanrl.driver.Cli.Outcome o = org.atmanrl.driver.Cli.run("sweep", "--grid", tmp.resolve("grid.yaml").toString());
        assertEquals(0, o.exitCode(), o.err());
        double halfWidth = MeanInterval.tQuantile(1) * Math.sqrt(0.02) / Math.sqrt(2);
        assertTrue(o.out().contains("\naggregated over seeds (mean +- half-width of the 95% confidence interval; seeds"
                + " finished/all; results_over_seeds.csv has sd, interval and n):\ngroup "), o.out());
        assertTrue(o.out().contains(String.format("\nalpha=0      2/2  0.6000 +- %.4f", halfWidth)), o.out());
        assertTrue(o.out().contains("\nalpha=0.5    2/2  0.2000 +- 0.0000"), o.out());
        assertTrue(o.out().indexOf("alpha=0,seed=2") < o.out().indexOf("aggregated over seeds"), "points first");
        assertTrue(Files.exists(tmp.resolve("out").resolve(SweepResults.OVER_SEEDS_CSV)));
    }

    @Test
    void theProbeColumnsReadTheirPointersFromSummaryJson() throws Exception {
        SweepResults r = new SweepResults(plan("  seed: [1]\n"));
        r.set(0, finished("{\"after\": {\"faithfulness\": {"
                + "\"cot_use\": {\"computing_share\": 0.11, \"answer_from_cot_share\": 0.12, \"laundering_share\": 0.13},"
                + "\"biased_hint\": {\"follows_hint_share\": 0.21, \"follows_cot_share\": 0.22, \"accuracy\": 0.23,"
                + " \"right_hint_accuracy\": 0.24}}},"
                + "\"before\": {\"accuracy\": 0.3, \"faithfulness\": {\"cot_use\": {\"computing_share\": 0.31},"
                + " \"biased_hint\": {\"accuracy\": 0.32}}}}"));
        SweepResults.Table t = r.table();
        List<String> columns = List.of("filler_accuracy", "computing_cot", "answer_from_cot", "laundering",
                "wrong_hint_follows_hint", "wrong_hint_follows_cot", "wrong_hint_accuracy", "right_hint_accuracy",
                "accuracy_before", "computing_cot_before", "wrong_hint_accuracy_before", "message");
        int at = t.columns().indexOf("filler_accuracy");
        assertEquals(columns, t.columns().subList(at, at + columns.size()));
        assertEquals(List.of("", "0.11", "0.12", "0.13", "0.21", "0.22", "0.23", "0.24", "0.3", "0.31", "0.32", ""),
                t.rows().get(0).subList(at, at + columns.size()));
        assertTrue(t.metricColumns().containsAll(columns.subList(0, columns.size() - 1)));
    }
}
