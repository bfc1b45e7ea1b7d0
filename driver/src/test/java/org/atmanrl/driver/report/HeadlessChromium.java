package org.atmanrl.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's chromium, headless, as a test's browser: the DOM after the page's scripts ran, and a
 * screenshot. Absent, a test is skipped, except on CI (CI=true), which must run it.
 */
final class HeadlessChromium {
    static final int WIDTH = 1280;
    private final String binary;

    private HeadlessChromium(String binary) {
        this.binary = binary;
    }

    static HeadlessChromium require() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                File f = new File(dir, name);
                if (f.canExecute()) return new HeadlessChromium(f.getPath());
            }
        }
        String message = "chromium is not installed (apt-get install chromium): the report's browser test cannot run";
        if ("true".equals(System.getenv("CI"))) fail(message + ", and CI must run it");
        Assumptions.abort(message);
        return null;
    }

    /** The DOM after the page's scripts ran. */
    String dumpDom(Path page, Path scratch) throws Exception {
        return run(scratch, List.of("--dump-dom", page.toUri().toString()));
    }

    /** A PNG of the page's first {@code height} pixels. */
    Path screenshot(Path page, Path scratch, int height) throws Exception {
        Path png = scratch.resolve("screenshot-" + System.nanoTime() + ".png");
        run(scratch, List.of("--window-size=" + WIDTH + "," + height, "--screenshot=" + png, page.toUri().toString()));
        assertTrue(Files.size(png) > 0, "chromium wrote no screenshot " + png);
        return png;
    }

    private String run(Path scratch, List<String> args) throws Exception {
        Path profile = Files.createTempDirectory(scratch, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(binary, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + profile,
                "--virtual-time-budget=10000"));
        cmd.addAll(args);
        Path stdout = scratch.resolve("chromium-" + System.nanoTime() + ".out");
        Path stderr = scratch.resolve("chromium-" + System.nanoTime() + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 120 s: " + cmd);
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> "chromium failed: " + cmd + "\n" + tail(stderr));
        return out;
    }

    private static String tail(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            return s.length() < 4000 ? s : s.substring(s.length() - 4000);
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }
}
