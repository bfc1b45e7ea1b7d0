package org.atmanrl.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused decoding step ({@link DecodeStep}, docs/design.md 6.1 "Decoding") against the general
 * pass it replaces, step by step from the same prefill: at batch 1 (GEMV) and batch 3 (GEMM, a left
 * padded row and a row that stops feeding), on every tiny shape (GQA, MQA, MHA, tied heads, llama3
 * RoPE scaling), without and with LoRA adapters.
 */
class DecodeStepTest {
    @Test
    void fusedStepEqualsTheGeneralPass() {
        for (LlamaConfig c : TinyModels.all(0.2)) {
            LlamaWeights w = TinyModels.weights(c, 31, DataType.FLOAT);
            LoraAdapters ad = LoraGradientCheckTest.randomAdapters(c, new LoraConfig(3, 6, 0, LoraModelTest.ALL), 8,
                    DataType.FLOAT);
            for (LlamaModel model : List.of(new LlamaModel(w), new LlamaModel(w, ad))) {
                compare(model, List.of(TinyModels.tokens(c.vocabSize(), 7, 41)), new int[] {9});
                compare(model, TinyModels.sequences(c.vocabSize(), 42, 5, 8, 3), new int[] {9, 9, 4});
            }
        }
    }

    /** Prefills {@code prompts}, then feeds row r {@code steps[r]} tokens (an invalid cell after that). */
    private static void compare(LlamaModel model, List<int[]> prompts, int[] steps) {
        int b = prompts.size(), longest = 0;
        for (int[] p : prompts) longest = Math.max(longest, p.length);
        int total = 0;
        for (int s : steps) total = Math.max(total, s);
        double worst = 0, scale = 0;
        try (KvCache fusedCache = model.newCache(b, longest + total + 1);
             KvCache generalCache = model.newCache(b, longest + total + 1)) {
            TokenBatch prefill = TokenBatch.leftPadded(prompts);
            assertTrue(!DecodeStep.applies(model, prefill), "a prefill of many cells takes the general pass");
            INDArray fused = model.nextTokenLogits(prefill, fusedCache, true);
            INDArray general = model.nextTokenLogits(prefill, generalCache, false);
            for (int s = 0; s < total; s++) {
                int[] ids = new int[b], pos = new int[b];
                boolean[] valid = new boolean[b];
                float[] f = fused.data().asFloat(), g = general.data().asFloat();
                for (int r = 0; r < b; r++) {
                    int best = 0;
                    for (int v = 0; v < model.config().vocabSize(); v++) {
                        int i = r * model.config().vocabSize() + v;
                        worst = Math.max(worst, Math.abs(f[i] - g[i]));
                        scale = Math.max(scale, Math.abs(g[i]));
                        if (g[i] > g[r * model.config().vocabSize() + best]) best = v;
                    }
                    ids[r] = best;
                    pos[r] = prompts.get(r).length + s;
                    valid[r] = s < steps[r];
                }
                TokenBatch step = new TokenBatch(b, 1, ids, pos, valid, null);
                assertTrue(DecodeStep.applies(model, step));
                fused.close();
                general.close();
                fused = model.nextTokenLogits(step, fusedCache, true);
                general = model.nextTokenLogits(step, generalCache, false);
            }
        }
        System.out.printf("decode batch %d%s: max |fused - general| %.3g, max |logit| %.3g%n", b,
                model.adapters() == null ? "" : " LoRA", worst, scale);
        assertTrue(scale > 0.1, "logits should not vanish, max |logit| = " + scale);
        assertTrue(worst <= 1e-5 * Math.max(1, scale), "batch " + b + (model.adapters() == null ? "" : ", LoRA")
                + ": max |fused - general| = " + worst + " at max |logit| " + scale);
    }
}
