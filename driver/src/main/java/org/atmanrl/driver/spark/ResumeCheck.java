package org.atmanrl.driver.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.checkpoint.CheckpointStore;

/**
 * What {@code --resume} verifies before Spark starts and before anything in the run directory is
 * written (issue 18 point 1): metrics.jsonl and summary.json parse, and a checkpoint verifies
 * fully (every hash, the model's and the optimizer's headers, run_state.json). A run is never
 * started over in a directory that holds one: when no checkpoint verifies, or there is none but
 * metrics to lose, the command stops with one line and the directory stays as it was.
 */
final class ResumeCheck {
    private ResumeCheck() {
    }

    /** Reads only; a fault is one line naming the file (and line, or checkpoint) and what is wrong. */
    static void check(RunDirectory out) throws IOException {
        if (!out.holdsRun()) return; // an empty or new output: --resume starts the run
        List<String> metrics = out.metricLinesUpTo(Long.MAX_VALUE);
        out.checkSummary();
        CheckpointStore store = new CheckpointStore(out.fs(), out.checkpoints(), 1);
        List<String> faults = new ArrayList<>();
        if (store.newestVerified(faults::add).isPresent()) return;
        if (!faults.isEmpty()) {
            throw new UserInputException("cannot resume " + out.root() + ": no checkpoint verifies; " + faults.get(0)
                    + (faults.size() > 1 ? " (and " + (faults.size() - 1) + " older checkpoint(s) fail too)" : "")
                    + "; nothing was changed, and the run is not started over");
        }
        requireNothingToLose(out, metrics.size());
    }

    /** A run without a checkpoint restarts only if that loses no logged step. */
    static void requireNothingToLose(RunDirectory out, int loggedSteps) {
        if (loggedSteps > 0) {
            throw new UserInputException("cannot resume " + out.root() + ": it has no checkpoint, and starting over"
                    + " would replace the " + loggedSteps + " step(s) logged in " + RunDirectory.METRICS
                    + "; use a new output for a new run");
        }
    }
}
