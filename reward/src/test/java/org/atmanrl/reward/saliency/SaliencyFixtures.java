package org.atmanrl.reward.saliency;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TinyModels;
import org.nd4j.linalg.api.buffer.DataType;

/** Random sequences with made-up spans on the tiny test models, for the saliency mechanics. */
final class SaliencyFixtures {
    private SaliencyFixtures() {
    }

    static LlamaModel model(LlamaConfig c, DataType dt) {
        return new LlamaModel(TinyModels.weights(c, 11, dt));
    }

    /** Prompt lengths p, CoT lengths n, delimiter 2 tokens, answer lengths a: one sequence each. */
    static List<int[]> sequences(LlamaConfig c, int[] p, int[] n, int[] a) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            out.add(TinyModels.tokens(c.vocabSize(), p[i] + n[i] + 2 + a[i], 100 + i));
        }
        return out;
    }

    static List<CompletionSpans> spans(int[] p, int[] n, int[] a) {
        List<CompletionSpans> out = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            out.add(new CompletionSpans(p[i], p[i] + n[i], p[i] + n[i] + 2, p[i] + n[i] + 2 + a[i]));
        }
        return out;
    }
}
