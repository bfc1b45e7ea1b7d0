package org.atmanrl.model.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.atmanrl.model.LlamaConfig;

/**
 * The shapes of the models the paper trains, as Meta ships them on Hugging Face (the Instruct
 * models' config.json): random weights of these shapes are what the paper-size drill runs on when
 * no weights can be downloaded (docs/models.md, "Presets").
 */
public enum ModelPreset {
    /** meta-llama/Llama-3.2-1B-Instruct: 1.24e9 parameters. */
    LLAMA_3_2_1B("llama-3.2-1b", new LlamaConfig(128256, 2048, 8192, 16, 32, 8, 64, 131072, 1e-5, 500000.0,
            LlamaConfig.RopeScaling.llama3Defaults(), true, 0.02)),
    /** meta-llama/Llama-3.2-3B-Instruct: 3.21e9 parameters. */
    LLAMA_3_2_3B("llama-3.2-3b", new LlamaConfig(128256, 3072, 8192, 28, 24, 8, 128, 131072, 1e-5, 500000.0,
            LlamaConfig.RopeScaling.llama3Defaults(), true, 0.02));

    /** {@code <|begin_of_text|>} in Llama 3's vocabulary. */
    public static final int BOS_ID = 128000;
    /** {@code <|end_of_text|>}, {@code <|eom_id|>}, {@code <|eot_id|>}: the Instruct models' eos_token_id. */
    public static final int[] EOS_IDS = {128001, 128008, 128009};

    private final String cliName;
    private final LlamaConfig config;

    ModelPreset(String cliName, LlamaConfig config) {
        this.cliName = cliName;
        this.config = config;
    }

    /** The name {@code init-model --preset} takes. */
    public String cliName() {
        return cliName;
    }

    public LlamaConfig config() {
        return config;
    }

    /** config.json as the Instruct model ships it (the fields it carries beyond the shape included). */
    public HfConfig hfConfig() {
        HfConfig c = HfConfig.fresh(config);
        ObjectNode json = c.json();
        json.put("attention_dropout", 0.0);
        json.put("bos_token_id", BOS_ID);
        putIds(json, "eos_token_id", EOS_IDS);
        json.put("pretraining_tp", 1);
        json.put("use_cache", true);
        return c;
    }

    /** generation_config.json as the Instruct model ships it. */
    public byte[] generationConfig() {
        ObjectNode json = JsonFiles.MAPPER.createObjectNode();
        json.put("bos_token_id", BOS_ID);
        json.put("do_sample", true);
        putIds(json, "eos_token_id", EOS_IDS);
        json.put("temperature", 0.6);
        json.put("top_p", 0.9);
        return (json.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The preset {@code init-model --preset NAME} names, or an error listing the names. */
    public static ModelPreset byName(String name) {
        for (ModelPreset p : values()) {
            if (p.cliName.equals(name.toLowerCase(Locale.ROOT))) return p;
        }
        StringBuilder names = new StringBuilder();
        for (ModelPreset p : values()) names.append(names.length() == 0 ? "" : ", ").append(p.cliName);
        throw new IllegalArgumentException("no preset '" + name + "'; presets: " + names);
    }

    private static void putIds(ObjectNode json, String field, int[] ids) {
        ArrayNode a = json.putArray(field);
        for (int id : ids) a.add(id);
    }
}
