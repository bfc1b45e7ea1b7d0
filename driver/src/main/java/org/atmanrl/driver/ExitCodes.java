package org.atmanrl.driver;

/**
 * Why a command stopped, as its exit code: what a scheduler (cron, Airflow, a Databricks job)
 * branches on (docs/training-on-spark.md "Scheduled retraining"). {@code train} also writes the outcome as
 * {@code status} in summary.json ({@link org.atmanrl.driver.spark.RunStatus}); faults in the input,
 * the config or the command line stop before anything is written, so they have no status there.
 */
public final class ExitCodes {
    /** Done: trained to the last step (or to --stop-after), and promoted when asked to. */
    public static final int DONE = 0;
    /** A fault in what the user gave: config, model, data, run directory, resume state. */
    public static final int BAD_INPUT = 1;
    /** The command line itself: an unknown option, a missing value (picocli's default). */
    public static final int USAGE = 2;
    /** The NaN guard stopped the run: more than optimizer.max_skipped_steps non-finite steps in a row. */
    public static final int DIVERGED = 3;
    /** Trained and evaluated, but the promotion gate did not hold: the promoted model is unchanged. */
    public static final int NOT_PROMOTED = 4;
    /** Stopped by SIGINT (Ctrl-C): 128 + 2, the shell's convention, set by the JVM. */
    public static final int INTERRUPTED_SIGINT = 130;
    /** Stopped by SIGTERM (a scheduler's kill, a timeout): 128 + 15, set by the JVM. */
    public static final int INTERRUPTED_SIGTERM = 143;

    private ExitCodes() {
    }
}
