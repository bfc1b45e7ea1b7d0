package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The console side of a training run: on a terminal, a progress bar (me.tongfei:progressbar)
 * whose extra message carries the key numbers of the last step; otherwise (a pipeline, a log
 * file) one plain line per step. Messages (evaluations, checkpoints) go above the bar.
 */
public final class ConsoleProgress implements SparkTraining.Listener, AutoCloseable {
    private final PrintWriter err;
    private final ProgressBar bar;

    public ConsoleProgress(PrintWriter err, long steps, long firstStep, boolean interactive) {
        this.err = err;
        this.bar = interactive
                ? new ProgressBarBuilder().setTaskName("AtManRL").setInitialMax(steps).startsFrom(firstStep, java.time.Duration.ZERO)
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build()
                : null;
    }

    /** Whether standard error is a terminal that a progress bar can redraw. */
    public static boolean interactive() {
        return System.console() != null && !"true".equalsIgnoreCase(System.getenv("CI"));
    }

    @Override
    public void message(String line) {
        if (bar != null) {
            // progressbar redraws on its own line; a message printed between redraws stays above it.
            System.err.print("\r\033[K");
        }
        err.println("train: " + line);
        err.flush();
    }

    @Override
    public void step(SparkTraining.StepReport r) {
        String summary = summary(r.metrics());
        if (bar != null) {
            bar.stepTo(r.step());
            bar.setExtraMessage(summary);
        } else {
            err.printf("train: step %d/%d %s %.1f s%n", r.step(), r.steps(), summary, r.seconds());
            err.flush();
        }
    }

    /** The key numbers of a step's metrics line, as the console shows them. */
    public static String summary(JsonNode m) {
        JsonNode s = m.path("seconds");
        double tasks = s.path("generation").asDouble() + s.path("saliency").asDouble() + s.path("gradient").asDouble();
        return String.format("reward %.3f acc %.3f r_sal %.4f N %.3f C %.3f |g| %.3g%s (gen %.0f%% sal %.0f%% grad %.0f%%)",
                m.path("reward").asDouble(), m.path("accuracy").asDouble(), m.path("r_sal").asDouble(),
                m.path("necessity").asDouble(), m.path("coverage").asDouble(), m.path("grad_norm").asDouble(),
                m.path("update_skipped").asBoolean() ? " SKIPPED (non-finite gradient)" : "",
                pct(s.path("generation").asDouble(), tasks), pct(s.path("saliency").asDouble(), tasks),
                pct(s.path("gradient").asDouble(), tasks));
    }

    private static double pct(double a, double total) {
        return total == 0 ? 0 : 100 * a / total;
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
