package org.atmanrl.model.lora;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * LoRA adapters' settings, as PEFT's {@code LoraConfig} names them (docs/design.md 3.4): rank
 * {@code r}, {@code lora_alpha}, {@code lora_dropout} on the adapter branch's input, and the
 * targeted projections. The branch is scaled by {@code alpha / r}, PEFT's default (not rsLoRA's
 * {@code alpha / sqrt(r)}).
 *
 * @param rank          r, at least 1
 * @param alpha         lora_alpha, greater than 0
 * @param dropout       lora_dropout, in [0, 1)
 * @param targetModules PEFT module names, a non-empty subset of q_proj, k_proj, v_proj, o_proj,
 *                      gate_proj, up_proj, down_proj; kept in that (the layer's) order whatever
 *                      order they are given in, so equal sets make equal configs
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules) {
    public LoraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("lora rank must be at least 1, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("lora alpha must be a finite number greater than 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("lora target_modules must name at least one of " + allowed());
        }
        Set<LoraTarget> seen = EnumSet.noneOf(LoraTarget.class);
        for (String m : targetModules) {
            LoraTarget t = LoraTarget.byPeftName(m);
            if (t == null) {
                throw new IllegalArgumentException("lora target_modules: '" + m + "' is not one of " + allowed());
            }
            if (!seen.add(t)) {
                throw new IllegalArgumentException("lora target_modules names '" + m + "' twice");
            }
        }
        List<String> ordered = new ArrayList<>();
        for (LoraTarget t : seen) ordered.add(t.peftName());
        targetModules = List.copyOf(ordered);
    }

    /** PEFT's scaling of the adapter branch: {@code alpha / r}. */
    public double scaling() {
        return alpha / rank;
    }

    /** The targeted projections, in layer order (q, k, v, o, gate, up, down). */
    public Set<LoraTarget> targets() {
        Set<LoraTarget> s = EnumSet.noneOf(LoraTarget.class);
        for (String m : targetModules) s.add(LoraTarget.byPeftName(m));
        return s;
    }

    public boolean targets(LoraTarget t) {
        return targetModules.contains(t.peftName());
    }

    private static String allowed() {
        List<String> names = new ArrayList<>();
        for (LoraTarget t : LoraTarget.values()) names.add(t.peftName());
        return String.join(", ", names);
    }
}
