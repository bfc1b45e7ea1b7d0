package org.atmanrl.driver.sweep;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.UserPaths;
import org.atmanrl.driver.spark.ConsoleProgress;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.driver.spark.RunStatus;
import org.atmanrl.driver.spark.SparkTraining;
import org.atmanrl.model.io.HadoopFiles;

/**
 * Trains a sweep's points on one Spark application: each point is a {@link SparkTraining} run into
 * its own directory, in plan order, or {@code parallel_points} at a time from driver threads, each
 * thread's jobs in a FAIR scheduler pool of its own. A point that fails is recorded with its
 * message and the others go on; results.csv and results.json are rewritten after every point.
 */
public final class SweepRun {
    /** What a point's directory holds when the sweep starts. */
    public enum Start {
        /** summary.json says finished: the point is done and is not trained again. */
        DONE,
        /** A run is there without its summary: resumed from its newest checkpoint. */
        RESUME,
        /** Nothing yet. */
        FRESH;

        String describe() {
            return switch (this) {
                case DONE -> "done";
                case RESUME -> "resume";
                case FRESH -> "new";
            };
        }
    }

    private final SweepPlan plan;
    private final RunDirectory sweepDir;
    private final SweepResults results;
    private final List<Start> starts;
    private final PrintWriter err;

    private SweepRun(SweepPlan plan, RunDirectory sweepDir, List<Start> starts, SweepResults results, PrintWriter err) {
        this.plan = plan;
        this.sweepDir = sweepDir;
        this.starts = starts;
        this.results = results;
        this.err = err;
    }

    /**
     * Looks at OUTPUT: refuses one that holds a sweep of another grid (listing the differences),
     * and reads the summaries of points already finished. Writes nothing.
     */
    public static SweepRun inspect(SweepPlan plan, Configuration hadoop, PrintWriter err) throws IOException {
        Path root = new Path(plan.grid().output());
        FileSystem fs = HadoopFiles.fileSystem(root, hadoop);
        Path record = new Path(root, SweepPlan.RECORD);
        requireNoInputWritten(plan, hadoop, fs, root);
        if (fs.exists(root) && !fs.getFileStatus(root).isDirectory()) {
            throw new UserInputException("grid " + plan.grid().file() + ": output " + root + " is a file, not a sweep directory");
        }
        if (fs.exists(record)) {
            String stored = new String(HadoopFiles.readSmall(fs, record, 16 << 20), java.nio.charset.StandardCharsets.UTF_8);
            List<String> differ = plan.differencesFrom(stored);
            if (!differ.isEmpty()) {
                throw new UserInputException("grid " + plan.grid().file() + ": output " + root + " holds a sweep of another"
                        + " grid (" + SweepPlan.RECORD + "), so it cannot be continued: " + String.join("; ", differ)
                        + "; restore the grid or choose another output");
            }
        } else if (fs.exists(root) && RunDirectory.holdsAnythingButLocks(fs, root)) {
            throw new UserInputException("grid " + plan.grid().file() + ": output " + root + " is not empty and holds no"
                    + " sweep (" + SweepPlan.RECORD + "); choose an empty or new directory");
        }
        SweepResults results = new SweepResults(plan);
        List<Start> starts = new ArrayList<>();
        for (SweepPlan.Point p : plan.points()) {
            Path dir = new Path(p.config().output());
            RunDirectory run = new RunDirectory(HadoopFiles.fileSystem(dir, hadoop), dir);
            Path summary = new Path(dir, RunDirectory.SUMMARY);
            // a stopped, diverged, failed or interrupted point has a summary too, and is resumed
            if (run.fs().exists(dir) && run.status().map(RunStatus::finished).orElse(false)) {
                results.set(p.index(), new SweepResults.PointResult(SweepResults.Status.FINISHED,
                        SweepResults.readSummary(HadoopFiles.readSmall(run.fs(), summary, 16 << 20)), null));
                starts.add(Start.DONE);
            } else {
                starts.add(run.fs().exists(dir) && run.holdsRun() ? Start.RESUME : Start.FRESH);
            }
        }
        return new SweepRun(plan, new RunDirectory(fs, root), starts, results, err);
    }

    /**
     * The files the sweep writes in OUTPUT (its record and results) are none of the files it reads
     * (the grid file, the base config), by any name ({@link UserPaths#canonical}).
     */
    private static void requireNoInputWritten(SweepPlan plan, Configuration hadoop, FileSystem fs, Path root) {
        List<String> written = new ArrayList<>(SweepResults.FILES);
        written.add(SweepPlan.RECORD);
        List<String> inputs = new ArrayList<>();
        inputs.add(plan.grid().file());
        if (plan.grid().base() != null) inputs.add(plan.grid().base());
        for (String input : inputs) {
            Path in = new Path(input);
            Path canonicalInput = UserPaths.canonical(HadoopFiles.fileSystem(in, hadoop), in);
            for (String name : written) {
                if (UserPaths.canonical(fs, new Path(root, name)).equals(canonicalInput)) {
                    throw new UserInputException("grid " + plan.grid().file() + ": output " + root + "/" + name
                            + " is " + input + ", which this sweep reads; keep the inputs out of the files it writes");
                }
            }
        }
    }

    public List<Start> starts() {
        return starts;
    }

    public SweepResults results() {
        return results;
    }

    /** Points still to train. */
    public List<SweepPlan.Point> remaining() {
        List<SweepPlan.Point> todo = new ArrayList<>();
        for (SweepPlan.Point p : plan.points()) if (starts.get(p.index()) != Start.DONE) todo.add(p);
        return todo;
    }

    /** Stores the grid (the first time) and the results so far, before any training. */
    public void begin() throws IOException {
        if (!sweepDir.fs().exists(new Path(sweepDir.root(), SweepPlan.RECORD))) {
            sweepDir.write(SweepPlan.RECORD, plan.record().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        results.write(sweepDir);
    }

    /** Trains every remaining point on {@code sc}; the number of points that failed. */
    public int train(JavaSparkContext sc) throws IOException, InterruptedException {
        List<SweepPlan.Point> todo = remaining();
        int threads = Math.min(plan.grid().parallelPoints(), Math.max(1, todo.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "sweep-point");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SweepPlan.Point p : todo) {
                futures.add(pool.submit(() -> {
                    point(sc, p, threads > 1);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    // only an Error (out of memory, say) gets here: a point's exceptions are its row's message
                    if (e.getCause() instanceof Error error) throw error;
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        int failed = 0;
        for (SweepPlan.Point p : plan.points()) {
            if (results.get(p.index()).status() == SweepResults.Status.FAILED) failed++;
        }
        return failed;
    }

    private void point(JavaSparkContext sc, SweepPlan.Point p, boolean pooled) throws IOException {
        String tag = "[" + (p.index() + 1) + "/" + plan.points().size() + "] " + p.name();
        if (pooled) sc.setLocalProperty("spark.scheduler.pool", "point-" + p.index());
        boolean resume = starts.get(p.index()) == Start.RESUME;
        say(tag + ": " + (resume ? "resuming" : "starting") + " in " + p.config().output());
        results.set(p.index(), SweepResults.PointResult.RUNNING);
        results.write(sweepDir);
        long t0 = System.nanoTime();
        SweepResults.PointResult result;
        try {
            SparkTraining.Outcome outcome = new SparkTraining(sc, p.config(), listener(tag)).run(resume, -1);
            Path summary = new Path(outcome.runDir(), RunDirectory.SUMMARY);
            FileSystem fs = HadoopFiles.fileSystem(summary, sc.hadoopConfiguration());
            result = outcome.finished() && fs.exists(summary)
                    ? new SweepResults.PointResult(SweepResults.Status.FINISHED,
                            SweepResults.readSummary(HadoopFiles.readSmall(fs, summary, 16 << 20)), null)
                    : new SweepResults.PointResult(SweepResults.Status.FAILED, null,
                            "stopped after step " + outcome.lastStep() + " without a summary");
        } catch (RuntimeException | IOException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            result = new SweepResults.PointResult(SweepResults.Status.FAILED, null, message.strip().replaceAll("\\s*\\R\\s*", " "));
        } finally {
            if (pooled) sc.setLocalProperty("spark.scheduler.pool", null);
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        results.set(p.index(), result);
        results.write(sweepDir);
        if (result.status() == SweepResults.Status.FINISHED) {
            var after = result.summary().path("after");
            say(String.format("%s: finished, accuracy %s, r_sal %s, %.0f s wall", tag, number(after.path("accuracy"), "%.3f"),
                    number(after.path("mean_saliency"), "%.4f"), wall));
        } else {
            say(String.format("%s: FAILED after %.0f s wall: %s", tag, wall, result.message()));
        }
    }

    private static String number(com.fasterxml.jackson.databind.JsonNode n, String format) {
        return n.isNumber() ? String.format(format, n.doubleValue()) : "-";
    }

    private SparkTraining.Listener listener(String tag) {
        return new SparkTraining.Listener() {
            @Override
            public void message(String line) {
                say(tag + ": " + line);
            }

            @Override
            public void step(SparkTraining.StepReport r) {
                say(String.format("%s: step %d/%d %s %.1f s", tag, r.step(), r.steps(), ConsoleProgress.summary(r.metrics()),
                        r.seconds()));
            }
        };
    }

    private void say(String line) {
        synchronized (err) {
            err.println("sweep: " + line);
            err.flush();
        }
    }
}
