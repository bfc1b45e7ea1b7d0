package org.atmanrl.driver.promote;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.driver.spark.RunStatus;

/**
 * {@code train --promote-to}: after a run's final evaluation, its gate decides, the model is
 * published when the gate holds, and the decision goes into summary.json as {@code promotion}
 * with the status {@code promoted} or {@code not_promoted} (docs/training-on-spark.md "Scheduled
 * retraining"). Running it again for the same run decides again and writes only what changed: a
 * run already promoted stays so, and a run whose publication was interrupted is recognised by
 * the {@code run_dir} stored with the model.
 */
public record Promotion(PromotionTarget target, PromotionGate gate) {
    /**
     * Applies the gate to the finished run in {@code out} (the caller holds the target's lock) and
     * returns its status; a run that is not finished is left as it is.
     */
    public RunStatus apply(RunDirectory out, Consumer<String> log) throws IOException {
        ObjectNode summary = out.summary().orElseThrow(() -> new IllegalStateException("no summary after the run"));
        RunStatus status = RunStatus.of(summary);
        if (!status.finished() || status == RunStatus.PROMOTED) return status;
        String runDir = out.fs().makeQualified(out.root()).toString();
        target.recover(log);
        PromotionGate.Decision d;
        if (target.holdsRunOf(runDir)) {
            d = new PromotionGate.Decision(true, "published by an earlier attempt of this run", List.of());
        } else {
            d = gate.decide(summary.path("after"), target.summary());
            if (d.promote()) {
                ObjectNode stored = summary.deepCopy();
                stored.put("status", RunStatus.PROMOTED.jsonName()).put("run_dir", runDir);
                stored.set("promotion", d.toJson(gate, target.path().toString()));
                target.publish(out.fs(), out.model(), stored);
            }
        }
        RunStatus now = d.promote() ? RunStatus.PROMOTED : RunStatus.NOT_PROMOTED;
        summary.put("status", now.jsonName());
        summary.set("promotion", d.toJson(gate, target.path().toString()));
        out.writeSummaryIfChanged(summary);
        log.accept((d.promote() ? "promoted to " : "not promoted to ") + target.path() + ": " + d.reason());
        return now;
    }
}
