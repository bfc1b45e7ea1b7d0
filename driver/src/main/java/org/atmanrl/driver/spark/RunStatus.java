package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import org.atmanrl.driver.ExitCodes;

/**
 * Where a training run stands, as summary.json's {@code status} says it for a machine
 * (docs/training-on-spark.md "Scheduled retraining"). The exit code of {@code train} says the same.
 */
public enum RunStatus {
    /** Started and not ended: in progress, or killed too hard (SIGKILL, a lost machine) to say so. */
    RUNNING("running", ExitCodes.DONE),
    /** Stopped as planned after --stop-after's step; --resume continues. */
    STOPPED("stopped", ExitCodes.DONE),
    /** Stopped by the NaN guard; the last good weights are checkpointed; --resume retries the step. */
    DIVERGED("diverged", ExitCodes.DIVERGED),
    /** Stopped by an error (a task failed past its retries, an unreadable file): the console's line says which. */
    FAILED("failed", ExitCodes.BAD_INPUT),
    /** Stopped by SIGINT or SIGTERM between checkpoints; --resume continues from the newest one. */
    INTERRUPTED("interrupted", ExitCodes.INTERRUPTED_SIGTERM),
    /** Trained to the last step and evaluated; no promotion was asked for. */
    DONE("done", ExitCodes.DONE),
    /** Done, and published to the promotion target because the gate held. */
    PROMOTED("promoted", ExitCodes.DONE),
    /** Done, but the gate did not hold: the promotion target was left as it was. */
    NOT_PROMOTED("not_promoted", ExitCodes.NOT_PROMOTED);

    private final String jsonName;
    private final int exitCode;

    RunStatus(String jsonName, int exitCode) {
        this.jsonName = jsonName;
        this.exitCode = exitCode;
    }

    public String jsonName() {
        return jsonName;
    }

    /** What {@code train} exits with for a run that ended so (interrupted: the JVM's own 130 or 143). */
    public int exitCode() {
        return exitCode;
    }

    /** Trained to its last step and evaluated: a rerun of the same command trains nothing more. */
    public boolean finished() {
        return this == DONE || this == PROMOTED || this == NOT_PROMOTED;
    }

    /**
     * The status of a summary.json. One without the key was written before statuses existed, and
     * then only by a finished run: done.
     */
    public static RunStatus of(JsonNode summary) {
        JsonNode s = summary.path("status");
        if (s.isMissingNode() || s.isNull()) return DONE;
        for (RunStatus r : values()) {
            if (r.jsonName.equals(s.asText())) return r;
        }
        throw new IllegalArgumentException("unknown status '" + s.asText() + "'; expected one of running, stopped,"
                + " diverged, failed, interrupted, done, promoted, not_promoted");
    }
}
