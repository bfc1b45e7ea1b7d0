package org.atmanrl.model.lora;

import java.util.Locale;
import org.atmanrl.model.LayerWeights;

/**
 * The projections of a Llama decoder layer that LoRA adapters may target, under PEFT's module
 * names ({@code target_modules}) and their place in the layer (docs/design.md 3.4).
 */
public enum LoraTarget {
    Q_PROJ("self_attn."), K_PROJ("self_attn."), V_PROJ("self_attn."), O_PROJ("self_attn."),
    GATE_PROJ("mlp."), UP_PROJ("mlp."), DOWN_PROJ("mlp.");

    private final String module;

    LoraTarget(String parent) {
        this.module = parent + name().toLowerCase(Locale.ROOT);
    }

    /** PEFT's name in {@code target_modules}: {@code q_proj} ... {@code down_proj}. */
    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The module's path inside a decoder layer, e.g. {@code self_attn.q_proj} or {@code mlp.down_proj}. */
    public String modulePath() {
        return module;
    }

    /** The target named {@code name} in {@code target_modules}, or null if none is. */
    public static LoraTarget byPeftName(String name) {
        for (LoraTarget t : values()) {
            if (t.peftName().equals(name)) return t;
        }
        return null;
    }

    /** This projection's base weight {@code [out, in]} in {@code layer}. */
    public org.nd4j.linalg.api.ndarray.INDArray weight(LayerWeights layer) {
        return switch (this) {
            case Q_PROJ -> layer.q();
            case K_PROJ -> layer.k();
            case V_PROJ -> layer.v();
            case O_PROJ -> layer.o();
            case GATE_PROJ -> layer.gate();
            case UP_PROJ -> layer.up();
            case DOWN_PROJ -> layer.down();
        };
    }
}
