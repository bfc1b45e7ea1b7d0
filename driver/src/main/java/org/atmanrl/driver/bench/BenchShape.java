package org.atmanrl.driver.bench;

import org.atmanrl.model.LlamaConfig;

/**
 * The model shapes the benchmark measures, with the batch x sequence grid of a training step.
 * Both use rope_theta 10000, rms_norm_eps 1e-5 and an untied LM head ({@link LlamaConfig#of}).
 */
enum BenchShape {
    TINY("tiny", LlamaConfig.of(512, 256, 768, 4, 8, 4, null, null, false), 16, 256),
    MID("mid", LlamaConfig.of(8192, 1024, 2816, 8, 16, 4, null, null, false), 4, 512);

    private final String label;
    private final LlamaConfig config;
    private final int batch;
    private final int seq;

    BenchShape(String label, LlamaConfig config, int batch, int seq) {
        this.label = label;
        this.config = config;
        this.batch = batch;
        this.seq = seq;
    }

    String label() { return label; }
    LlamaConfig config() { return config; }
    int batch() { return batch; }
    int seq() { return seq; }

    /** One line for headers: the fields that set the cost. */
    String describe() {
        LlamaConfig c = config;
        return label + ": vocab " + c.vocabSize() + ", hidden " + c.hiddenSize() + ", intermediate "
                + c.intermediateSize() + ", layers " + c.numHiddenLayers() + ", heads " + c.numAttentionHeads()
                + ", kv_heads " + c.numKeyValueHeads() + ", batch " + batch + " x seq " + seq
                + ", " + String.format("%.1fM", c.matmulParameters() / 1e6) + " matmul parameters";
    }
}
