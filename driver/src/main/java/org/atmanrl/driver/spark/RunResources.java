package org.atmanrl.driver.spark;

import java.util.Objects;
import org.atmanrl.model.WeightStorage;
import org.atmanrl.model.lora.LoraConfig;

/**
 * What every executor needs once per run, broadcast at the start: the run's id (the key of the
 * executor's model cache), the model's {@code config.json}, its tokenizer files, and the frozen
 * reference policy when the KL term needs one, and the threads each task may use. With LoRA
 * (docs/design.md 3.4) it names the base instead of carrying it: each executor reads the base once
 * from {@code basePath} through Hadoop FileSystem, and only the adapters are broadcast each step;
 * the reference model is then that base with the adapters off. {@link #weightStorage} says how
 * executors store the weights they hold but do not train (docs/design.md 3.4, "bf16 storage").
 */
public final class RunResources {
    private final String runId;
    private final byte[] modelConfigJson;
    private final byte[] tokenizerJson;
    private final byte[] tokenizerConfigJson;
    private final PolicySnapshot reference;
    private final int threadsPerTask;
    private final String basePath;
    private final LoraConfig lora;
    private final WeightStorage weightStorage;

    /** @param threadsPerTask ND4J and OpenBLAS threads a task may use ({@link ThreadBudget}); 0 = leave as is */
    public RunResources(String runId, byte[] modelConfigJson, byte[] tokenizerJson, byte[] tokenizerConfigJsonOrNull,
                        PolicySnapshot referenceOrNull, int threadsPerTask) {
        this(runId, modelConfigJson, tokenizerJson, tokenizerConfigJsonOrNull, referenceOrNull, threadsPerTask, null,
                null);
    }

    /**
     * @param basePathOrNull the base model directory executors read, with {@code loraOrNull}; both or neither
     * @param loraOrNull     the adapters' settings; the broadcast snapshots then hold the adapters only
     */
    public RunResources(String runId, byte[] modelConfigJson, byte[] tokenizerJson, byte[] tokenizerConfigJsonOrNull,
                        PolicySnapshot referenceOrNull, int threadsPerTask, String basePathOrNull,
                        LoraConfig loraOrNull) {
        this(runId, modelConfigJson, tokenizerJson, tokenizerConfigJsonOrNull, referenceOrNull, threadsPerTask,
                basePathOrNull, loraOrNull, WeightStorage.F32);
    }

    /** @param weightStorage how executors store the base, the reference and (without LoRA) their policy copy */
    public RunResources(String runId, byte[] modelConfigJson, byte[] tokenizerJson, byte[] tokenizerConfigJsonOrNull,
                        PolicySnapshot referenceOrNull, int threadsPerTask, String basePathOrNull,
                        LoraConfig loraOrNull, WeightStorage weightStorage) {
        if ((basePathOrNull == null) != (loraOrNull == null)) {
            throw new IllegalArgumentException("LoRA needs both the base's path and the adapters' settings");
        }
        if (loraOrNull != null && referenceOrNull != null) {
            throw new IllegalArgumentException("with LoRA the reference model is the base: no snapshot of it travels");
        }
        this.basePath = basePathOrNull;
        this.lora = loraOrNull;
        this.runId = Objects.requireNonNull(runId, "runId");
        this.modelConfigJson = Objects.requireNonNull(modelConfigJson, "modelConfigJson");
        this.tokenizerJson = Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        this.tokenizerConfigJson = tokenizerConfigJsonOrNull;
        this.reference = referenceOrNull;
        this.threadsPerTask = threadsPerTask;
        this.weightStorage = Objects.requireNonNull(weightStorage, "weightStorage");
    }

    public String runId() { return runId; }
    public byte[] modelConfigJson() { return modelConfigJson; }
    public byte[] tokenizerJson() { return tokenizerJson; }
    /** Null when the model directory has no tokenizer_config.json. */
    public byte[] tokenizerConfigJson() { return tokenizerConfigJson; }
    /** Null unless beta > 0. */
    public PolicySnapshot reference() { return reference; }
    public int threadsPerTask() { return threadsPerTask; }
    /** The base model's directory executors read; null without LoRA. */
    public String basePath() { return basePath; }
    /** The adapters' settings; null without LoRA. */
    public LoraConfig lora() { return lora; }
    public WeightStorage weightStorage() { return weightStorage; }
}
