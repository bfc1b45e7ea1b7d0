package org.atmanrl.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A Llama decoder's shape, with the field names of Hugging Face's {@code LlamaConfig} so that a
 * model directory's {@code config.json} maps onto it field for field.
 *
 * <p>{@code headDim} is the config's {@code head_dim} when present (Llama 3.2 sets it), otherwise
 * {@code hidden_size / num_attention_heads}, as in HF.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LlamaConfig(
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("hidden_size") int hiddenSize,
        @JsonProperty("intermediate_size") int intermediateSize,
        @JsonProperty("num_hidden_layers") int numHiddenLayers,
        @JsonProperty("num_attention_heads") int numAttentionHeads,
        @JsonProperty("num_key_value_heads") int numKeyValueHeads,
        @JsonProperty("head_dim") Integer headDimOrNull,
        @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
        @JsonProperty("rms_norm_eps") double rmsNormEps,
        @JsonProperty("rope_theta") double ropeTheta,
        @JsonProperty("rope_scaling") RopeScaling ropeScaling,
        @JsonProperty("tie_word_embeddings") boolean tieWordEmbeddings,
        @JsonProperty("initializer_range") double initializerRange) {

    /** HF's {@code rope_scaling} block; only {@code rope_type = "llama3"} is implemented. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RopeScaling(
            @JsonProperty("rope_type") String ropeType,
            @JsonProperty("factor") double factor,
            @JsonProperty("low_freq_factor") double lowFreqFactor,
            @JsonProperty("high_freq_factor") double highFreqFactor,
            @JsonProperty("original_max_position_embeddings") int originalMaxPositionEmbeddings) {

        public RopeScaling {
            if (!"llama3".equals(ropeType)) {
                throw new IllegalArgumentException(
                        "rope_scaling.rope_type is '" + ropeType + "'; only 'llama3' is supported");
            }
            if (!(factor >= 1) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor)
                    || originalMaxPositionEmbeddings <= 0) {
                throw new IllegalArgumentException("rope_scaling needs factor >= 1, 0 < low_freq_factor"
                        + " < high_freq_factor and original_max_position_embeddings > 0, got " + this);
            }
        }

        /** The values Llama 3.1/3.2 ship with. */
        public static RopeScaling llama3Defaults() {
            return new RopeScaling("llama3", 32.0, 1.0, 4.0, 8192);
        }
    }

    public LlamaConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numAttentionHeads
                    + ") must be a multiple of num_key_value_heads (" + numKeyValueHeads + ")");
        }
        if (headDimOrNull == null && hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size (" + hiddenSize + ") must be a multiple of"
                    + " num_attention_heads (" + numAttentionHeads + ") when head_dim is not given");
        }
        int hd = headDimOrNull != null ? headDimOrNull : hiddenSize / numAttentionHeads;
        if (hd <= 0 || hd % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be positive and even (RoPE pairs"
                    + " dimension j with j + head_dim/2), got " + hd);
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new IllegalArgumentException("rope_theta must be > 0, got " + ropeTheta);
        }
        if (!(initializerRange > 0)) {
            throw new IllegalArgumentException("initializer_range must be > 0, got " + initializerRange);
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + value);
        }
    }

    public int headDim() {
        return headDimOrNull != null ? headDimOrNull : hiddenSize / numAttentionHeads;
    }

    /** Query heads that share one key/value head (GQA group size). */
    public int queriesPerKv() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Parameters that take part in matrix products: all but the token embedding (FLOP counts). */
    public long matmulParameters() {
        long d = hiddenSize, hd = headDim();
        long attention = d * hd * (2L * numAttentionHeads + 2L * numKeyValueHeads);
        long mlp = 3L * d * intermediateSize;
        return numHiddenLayers * (attention + mlp) + (long) vocabSize * d;
    }

    /** A config for tests and benchmarks: HF defaults for the fields not given. */
    public static LlamaConfig of(int vocab, int hidden, int intermediate, int layers, int heads,
                                 int kvHeads, Integer headDim, RopeScaling scaling, boolean tied) {
        return new LlamaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, headDim, 2048,
                1e-5, 10000.0, scaling, tied, 0.02);
    }
}
