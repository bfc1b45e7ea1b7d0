package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One decoder layer's parameters, shaped as in HF ({@code [out, in]} for projections). Also used
 * for the layer's gradients, which have the same shapes.
 */
public record LayerWeights(
        INDArray inputNorm,   // input_layernorm.weight [D]
        INDArray q,           // self_attn.q_proj.weight [H*hd, D]
        INDArray k,           // self_attn.k_proj.weight [KV*hd, D]
        INDArray v,           // self_attn.v_proj.weight [KV*hd, D]
        INDArray o,           // self_attn.o_proj.weight [D, H*hd]
        INDArray postNorm,    // post_attention_layernorm.weight [D]
        INDArray gate,        // mlp.gate_proj.weight [I, D]
        INDArray up,          // mlp.up_proj.weight [I, D]
        INDArray down) {      // mlp.down_proj.weight [D, I]

    /** HF tensor-name suffixes, in the order of the record's components. */
    static final String[] NAMES = {
        "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
        "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
        "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"};

    INDArray[] all() {
        return new INDArray[] {inputNorm, q, k, v, o, postNorm, gate, up, down};
    }
}
