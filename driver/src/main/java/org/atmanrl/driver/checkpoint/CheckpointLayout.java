package org.atmanrl.driver.checkpoint;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names inside a checkpoints directory: one {@code step-%08d} directory per checkpoint, written
 * as {@code .step-%08d.tmp-<uuid>} (the name {@code HadoopFiles.temporarySibling} gives) and
 * renamed when complete, and the files inside one checkpoint.
 */
final class CheckpointLayout {
    /** An HF model directory, so that any checkpoint can be loaded as a model by other commands. */
    static final String MODEL = "model";
    /**
     * With LoRA (docs/design.md 3.4): the PEFT adapter directory; model/ then holds the base's
     * config.json and tokenizer files but no weights (the base is the run's model directory).
     */
    static final String ADAPTER = "adapter";
    static final String OPTIMIZER = "optimizer.safetensors";
    /**
     * Barrier mode (docs/design.md 3.5): rank k's AdamW state, {@code optimizer-%05d-of-%05d.safetensors}
     * (1-based, as HF numbers weight shards), in place of {@link #OPTIMIZER}; a rank whose shard is empty
     * writes none.
     */
    private static final Pattern OPTIMIZER_SHARD = Pattern.compile("optimizer-(\\d{5})-of-(\\d{5})\\.safetensors");
    static final String RUN_STATE = "run_state.json";
    static final String CONFIG = "config.yaml";
    /** Written last: a directory without it was never finished. */
    static final String MANIFEST = "manifest.json";

    /**
     * Bound on run_state.json, config.yaml and each tokenizer file: checked when saving and
     * before allocating when loading, so a corrupt size never becomes an OutOfMemoryError.
     */
    static final long SMALL_FILE_LIMIT = 64L << 20;

    /**
     * One path segment inside a checkpoint: no {@code .} or {@code ..}, no separator, no scheme
     * colon, not hidden; so a path made of them always names a file inside the checkpoint.
     */
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,254}");
    private static final Pattern STEP = Pattern.compile("step-(\\d{8,18})");
    private static final Pattern TEMPORARY = Pattern.compile("\\.step-\\d{8,18}\\.tmp-[0-9a-fA-F-]{36}");

    private CheckpointLayout() {
    }

    static String stepName(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        return String.format("step-%08d", step);
    }

    /**
     * The step of a checkpoint directory's name; empty for anything else, including a name that
     * {@link #stepName} would not have written (so {@code step-010} and {@code step-00000010}
     * cannot both claim step 10).
     */
    static OptionalLong parseStep(String name) {
        Matcher m = STEP.matcher(name);
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        long step = Long.parseLong(m.group(1));
        return stepName(step).equals(name) ? OptionalLong.of(step) : OptionalLong.empty();
    }

    /** Rank {@code rank}'s (0-based) optimizer file of a checkpoint written by {@code ranks} ranks. */
    static String optimizerShard(int rank, int ranks) {
        return String.format("optimizer-%05d-of-%05d.safetensors", rank + 1, ranks);
    }

    /** The rank count an optimizer shard's file name says, or 0 for any other name. */
    static int optimizerShards(String name) {
        Matcher m = OPTIMIZER_SHARD.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(2)) : 0;
    }

    static boolean isPlainName(String name) {
        return PLAIN_NAME.matcher(name).matches();
    }

    /** A directory a writer had not finished: only such names are ever removed as stale. */
    static boolean isTemporary(String name) {
        return TEMPORARY.matcher(name).matches();
    }
}
