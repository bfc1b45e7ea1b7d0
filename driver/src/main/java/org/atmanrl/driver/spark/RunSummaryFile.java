package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.apache.hadoop.util.ShutdownHookManager;
import org.atmanrl.executor.eval.EvalReport;
import org.atmanrl.model.io.JsonFiles;

/**
 * summary.json of one run while it goes (docs/training-on-spark.md "Scheduled retraining"): {@code running}
 * with the evaluation before training as soon as the run has started, so that a run killed by
 * SIGKILL still keeps it for its resumption; then exactly one end status. A SIGINT or SIGTERM
 * (Ctrl-C, a scheduler's kill or timeout) ends it as {@code interrupted} from a shutdown hook; an
 * exception that leaves the run without an end ends it as {@code failed} on {@link #close}.
 */
final class RunSummaryFile implements AutoCloseable {
    /**
     * Before Spark's own hook (FileSystem's priority 10 + 30), which stops the context, and before
     * Hadoop's, which closes the file systems this hook writes through.
     */
    private static final int HOOK_PRIORITY = 50;

    private final RunDirectory out;
    private final JsonNode before;
    private final long started = System.nanoTime();
    private final Thread hook;
    private volatile long stepsDone;
    private boolean ended;

    /**
     * Writes {@code running} after {@code firstStep} steps. {@code before} is the evaluation before
     * training, this session's or, on resume, the one the run's summary.json kept (null if none).
     */
    RunSummaryFile(RunDirectory out, JsonNode before, long firstStep) throws IOException {
        this.out = out;
        this.before = before;
        this.stepsDone = firstStep;
        write(RunStatus.RUNNING, null);
        hook = new Thread(this::interrupted, "atmanrl-summary-on-interrupt");
        ShutdownHookManager.get().addShutdownHook(hook, HOOK_PRIORITY);
    }

    /** The evaluation before training a run's earlier summary kept, or null. */
    static JsonNode keptBefore(RunDirectory out) throws IOException {
        return out.summary().map(s -> s.get("before")).filter(JsonNode::isObject).orElse(null);
    }

    /** Steps done so far: what an interrupted run's summary reports. */
    void stepDone(long step) {
        stepsDone = step;
    }

    /** The run's end: written once; a later end (the hook's, close's) leaves it. */
    synchronized void end(RunStatus status, EvalReport after) throws IOException {
        if (ended) return;
        write(status, after);
        ended = true;
    }

    private synchronized void interrupted() {
        try {
            end(RunStatus.INTERRUPTED, null);
        } catch (IOException | RuntimeException e) {
            System.err.println("atmanrl: could not record the interruption in " + RunDirectory.SUMMARY + ": "
                    + e.getMessage());
        }
    }

    private void write(RunStatus status, EvalReport after) throws IOException {
        ObjectNode s = JsonFiles.MAPPER.createObjectNode();
        s.put("status", status.jsonName()).put("steps", stepsDone).put("seconds", (System.nanoTime() - started) / 1e9);
        if (before != null) s.set("before", before);
        if (after != null) s.set("after", after.toJson());
        out.writeSummary(s);
    }

    /** An end not written by now is a failure's (an exception is on its way out). */
    @Override
    public void close() throws IOException {
        try {
            ShutdownHookManager.get().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is going down: the hook runs, or has run, and writes interrupted
        }
        end(RunStatus.FAILED, null);
    }
}
