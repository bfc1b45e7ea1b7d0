package org.atmanrl.driver.checkpoint;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.lora.LoraAdapters;

/**
 * What a checkpoint holds: everything a training run needs to continue exactly where it was.
 * {@code runState} and {@code config} are the caller's bytes (a small JSON with the RNG and data
 * position, and the resolved YAML), stored and returned unchanged; the byte arrays are not copied.
 *
 * @param step        the training step this checkpoint was taken after; names its directory
 * @param modelConfig the model's config.json; must describe {@code weights}
 * @param weights     the trained model, or null when {@code adapters} train on a frozen base
 * @param modelFiles  tokenizer and generation files by name, copied into the model directory
 * @param optimizer   AdamW's moments and step count (its step need not equal {@code step}), of
 *                    the weights or of the adapters, whichever train
 * @param maskHead    the mask network and its optimizer (docs/design.md 2.6), or null without one
 * @param adapters    LoRA adapters (docs/design.md 3.4), or null when the whole model trains: a
 *                    checkpoint holds exactly one of {@code weights} and {@code adapters}
 */
public record Checkpoint(long step, HfConfig modelConfig, LlamaWeights weights, Map<String, byte[]> modelFiles,
                         AdamW.State optimizer, byte[] runState, byte[] config, MaskHeadState maskHead,
                         LoraAdapters adapters)
        implements AutoCloseable {

    /** The mask network's part of a checkpoint: its weights with what they were made for, and its AdamW state. */
    public record MaskHeadState(MaskHeadFiles.Head head, AdamW.State optimizer) {
        public MaskHeadState {
            Objects.requireNonNull(head, "head");
            Objects.requireNonNull(optimizer, "optimizer");
        }
    }

    /** A checkpoint of a run without the mask network. */
    public Checkpoint(long step, HfConfig modelConfig, LlamaWeights weights, Map<String, byte[]> modelFiles,
                      AdamW.State optimizer, byte[] runState, byte[] config) {
        this(step, modelConfig, weights, modelFiles, optimizer, runState, config, null);
    }

    /** A checkpoint of a run that trains the whole model. */
    public Checkpoint(long step, HfConfig modelConfig, LlamaWeights weights, Map<String, byte[]> modelFiles,
                      AdamW.State optimizer, byte[] runState, byte[] config, MaskHeadState maskHead) {
        this(step, modelConfig, weights, modelFiles, optimizer, runState, config, maskHead, null);
    }

    public Checkpoint {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        Objects.requireNonNull(modelConfig, "modelConfig");
        if ((weights == null) == (adapters == null)) {
            throw new IllegalArgumentException("a checkpoint holds either the weights or LoRA adapters, not "
                    + (weights == null ? "neither" : "both"));
        }
        LlamaConfig trained = weights != null ? weights.config() : adapters.modelConfig();
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(runState, "runState");
        Objects.requireNonNull(config, "config");
        if (!modelConfig.model().equals(trained)) {
            throw new IllegalArgumentException("config.json describes " + modelConfig.model() + " but the "
                    + (weights != null ? "weights are " : "adapters are for ") + trained);
        }
        Objects.requireNonNull(modelFiles, "modelFiles");
        modelFiles = Collections.unmodifiableMap(new TreeMap<>(modelFiles));
        if (maskHead != null && maskHead.head().hiddenSize() != trained.hiddenSize()) {
            throw new IllegalArgumentException("the mask network reads hidden size " + maskHead.head().hiddenSize()
                    + " but the model's is " + trained.hiddenSize());
        }
    }

    /** Frees the weights' off-heap buffers; the rest is on the heap. */
    @Override
    public void close() {
        if (weights != null) weights.close();
        if (adapters != null) adapters.close();
    }
}
