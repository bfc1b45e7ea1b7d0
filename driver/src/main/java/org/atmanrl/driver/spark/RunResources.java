package org.atmanrl.driver.spark;

import java.util.Objects;

/**
 * What every executor needs once per run, broadcast at the start: the run's id (the key of the
 * executor's model cache), the model's {@code config.json}, its tokenizer files, and the frozen
 * reference policy when the KL term needs one, and the threads each task may use.
 */
public final class RunResources {
    private final String runId;
    private final byte[] modelConfigJson;
    private final byte[] tokenizerJson;
    private final byte[] tokenizerConfigJson;
    private final PolicySnapshot reference;
    private final int threadsPerTask;

    /** @param threadsPerTask ND4J and OpenBLAS threads a task may use ({@link ThreadBudget}); 0 = leave as is */
    public RunResources(String runId, byte[] modelConfigJson, byte[] tokenizerJson, byte[] tokenizerConfigJsonOrNull,
                        PolicySnapshot referenceOrNull, int threadsPerTask) {
        this.runId = Objects.requireNonNull(runId, "runId");
        this.modelConfigJson = Objects.requireNonNull(modelConfigJson, "modelConfigJson");
        this.tokenizerJson = Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        this.tokenizerConfigJson = tokenizerConfigJsonOrNull;
        this.reference = referenceOrNull;
        this.threadsPerTask = threadsPerTask;
    }

    public String runId() { return runId; }
    public byte[] modelConfigJson() { return modelConfigJson; }
    public byte[] tokenizerJson() { return tokenizerJson; }
    /** Null when the model directory has no tokenizer_config.json. */
    public byte[] tokenizerConfigJson() { return tokenizerConfigJson; }
    /** Null unless beta > 0. */
    public PolicySnapshot reference() { return reference; }
    public int threadsPerTask() { return threadsPerTask; }
}
