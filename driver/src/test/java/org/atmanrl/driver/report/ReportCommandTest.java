package org.atmanrl.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.atmanrl.driver.Main;
import org.atmanrl.driver.spark.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code atmanrl report} from the command line: where the page goes, and one-line errors for bad runs. */
class ReportCommandTest {
    @TempDir
    Path tmp;

    private record Run(int code, String out, String err) {
    }

    private static Run report(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] full = new String[args.length + 1];
        full[0] = "report";
        System.arraycopy(args, 0, full, 1, args.length);
        int code = cl.execute(full);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesOneSelfContainedPageIntoTheRunAndPrintsItsPath() throws Exception {
        Path run = RunFixture.write(tmp.resolve("run"));
        Run r = report(run.toString());
        assertEquals(0, r.code(), r.err());
        Path page = run.resolve(ReportCommand.DEFAULT_NAME);
        assertEquals(page.toString(), r.out().trim());
        String html = Files.readString(page);
        assertTrue(html.contains("Released under the MIT License"), "Chart.js is inlined with its licence header");
        assertFalse(html.matches("(?s).*<script[^>]*\\ssrc=.*") || html.contains("<link"), "nothing loaded from outside");
        assertTrue(html.contains("&lt;b&gt;sft&lt;/b&gt;") && !html.contains("<b>sft</b>"), "config escaped");
        assertTrue(html.contains("runs/x &amp; y"));
        assertFalse(Files.list(run).anyMatch(p -> p.getFileName().toString().contains(".tmp-")), "no temporary left");

        Path other = tmp.resolve("elsewhere/r.html");
        Run second = report(run.toString(), "--out", other.toString(), "--samples", "1");
        assertEquals(0, second.code(), second.err());
        String one = Files.readString(other);
        assertTrue(one.contains("test-0: correct") && !one.contains("test-1: correct"), "--samples 1 shows one sample");
    }

    @Test
    void aRunWithoutMetricsIsOneClearLine() throws Exception {
        Path run = tmp.resolve("fresh");
        Files.createDirectories(run);
        Files.writeString(run.resolve(RunDirectory.CONFIG), "seed: 1\n");
        Run r = report(run.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("has no metrics yet"), r.err());

        Run missing = report(tmp.resolve("nothing").toString());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        Path notRun = tmp.resolve("plain");
        Files.createDirectories(notRun);
        assertTrue(report(notRun.toString()).err().contains("is not a run directory"));
    }

    @Test
    void aMalformedMetricsLineIsNamedByFileAndLine() throws Exception {
        Path run = RunFixture.write(tmp.resolve("run"));
        Path metrics = run.resolve(RunDirectory.METRICS);
        String good = RunFixture.metricLine(1) + "\n" + RunFixture.metricLine(2) + "\n";
        Files.writeString(metrics, good + "{\"step\": 3, \"reward\": \n");
        Run r = report(run.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(RunDirectory.METRICS + ":3: not JSON"), r.err());
        Files.writeString(metrics, good + RunFixture.metricLine(3).replace("\"reward\": 0.350", "\"reward\": \"high\"") + "\n");
        assertTrue(report(run.toString()).err().contains(RunDirectory.METRICS + ":3: field reward must be a number"));
        Files.writeString(metrics, good + RunFixture.metricLine(2) + "\n");
        assertTrue(report(run.toString()).err().contains(":3: field step 2 does not follow step 2"));
    }

    @Test
    void aMalformedSamplesFileNamesTheSampleAndField() throws Exception {
        Path run = RunFixture.write(tmp.resolve("run"));
        Path samples = run.resolve(RunDirectory.SALIENCY_SAMPLES);
        Files.writeString(samples, Files.readString(samples).replaceFirst("\"mask\":\\[[^\\]]*\\]", "\"mask\":[0.5]"));
        Run r = report(run.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(RunDirectory.SALIENCY_SAMPLES + ": samples[0]: mask (1) and atman_drops (12)"), r.err());
    }
}
