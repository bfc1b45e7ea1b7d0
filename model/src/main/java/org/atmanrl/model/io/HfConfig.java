package org.atmanrl.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.atmanrl.model.LlamaConfig;

/**
 * A model directory's {@code config.json}: the {@link LlamaConfig} it describes, plus the whole
 * JSON document so that fields this project does not use (token ids, generation defaults,
 * transformers_version) survive a load and save unchanged.
 *
 * <p>Missing optional fields take the defaults of HF's {@code LlamaConfig} class, which is what
 * transformers does when it reads the file. Anything the model here does not implement (another
 * architecture, a non-SiLU activation, projection biases, another RoPE scaling) is rejected, not
 * silently computed differently.
 */
public record HfConfig(LlamaConfig model, String torchDtype, ObjectNode json) {
    public static final String FILE = "config.json";
    public static final String ARCHITECTURE = "LlamaForCausalLM";
    public static final String MODEL_TYPE = "llama";

    private static final ObjectMapper JSON = JsonFiles.MAPPER;
    private static final List<String> REQUIRED = List.of("vocab_size", "hidden_size", "intermediate_size",
            "num_hidden_layers", "num_attention_heads");
    /** HF LlamaConfig's defaults for fields a config.json may leave out. */
    private static final Map<String, Object> DEFAULTS = Map.of("max_position_embeddings", 2048,
            "rms_norm_eps", 1e-6, "rope_theta", 10000.0, "tie_word_embeddings", false,
            "initializer_range", 0.02);

    /** Parses {@code bytes} read from {@code file}; every fault names the file and the field. */
    public static HfConfig parse(String file, byte[] bytes) {
        ObjectNode json = JsonFiles.parseObject(file, bytes);
        checkArchitecture(file, json);
        ObjectNode fields = json.deepCopy();
        for (String f : REQUIRED) {
            if (!fields.hasNonNull(f)) {
                throw new ModelFormatException(file, "missing field '" + f + "'");
            }
        }
        if (!fields.hasNonNull("num_key_value_heads")) {
            fields.set("num_key_value_heads", fields.get("num_attention_heads"));
        }
        normaliseRope(file, fields);
        DEFAULTS.forEach((k, v) -> {
            if (!fields.hasNonNull(k)) {
                fields.set(k, JSON.valueToTree(v));
            }
        });
        LlamaConfig model;
        try {
            model = JSON.treeToValue(fields, LlamaConfig.class);
        } catch (JsonProcessingException e) {
            Throwable root2 = e;
            while (root2.getCause() != null) root2 = root2.getCause();
            String why = root2 instanceof IllegalArgumentException ? root2.getMessage() : e.getOriginalMessage();
            throw new ModelFormatException(file, why);
        }
        JsonNode dtype = json.get("torch_dtype");
        return new HfConfig(model, dtype != null && dtype.isTextual() ? dtype.textValue() : null, json);
    }

    /** A config.json for a model made here (no file to inherit fields from). */
    public static HfConfig fresh(LlamaConfig model) {
        ObjectNode json = JSON.createObjectNode();
        json.putArray("architectures").add(ARCHITECTURE);
        json.put("model_type", MODEL_TYPE);
        json.put("hidden_act", "silu");
        json.put("attention_bias", false);
        json.put("mlp_bias", false);
        return new HfConfig(model, null, json);
    }

    /** The same file with another model shape (the untouched fields carried over). */
    public HfConfig withModel(LlamaConfig other) {
        return new HfConfig(other, torchDtype, json);
    }

    /** config.json as written next to weights stored in {@code weights}. */
    public byte[] toBytes(SafetensorsDType weights) {
        ObjectNode out = json.deepCopy();
        if (!out.has("architectures")) {
            out.putArray("architectures").add(ARCHITECTURE);
        }
        out.put("model_type", MODEL_TYPE);
        out.setAll((ObjectNode) JSON.valueToTree(model));
        if (model.ropeScaling() == null) {
            out.remove("rope_scaling");
        }
        if (out.has("rope_parameters")) {
            // transformers 5 keeps RoPE settings here; keep both spellings in step with the model.
            ObjectNode rope = out.putObject("rope_parameters");
            rope.put("rope_theta", model.ropeTheta());
            if (model.ropeScaling() != null) {
                rope.setAll((ObjectNode) JSON.valueToTree(model.ropeScaling()));
            } else {
                rope.put("rope_type", "default");
            }
        }
        out.put("torch_dtype", weights.torchDtype());
        try {
            return (JSON.writeValueAsString(out) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code eos_token_id}, which HF allows as one id or a list; empty when absent. */
    public List<Integer> eosTokenIds() {
        return ids(json.get("eos_token_id"));
    }

    public List<Integer> bosTokenIds() {
        return ids(json.get("bos_token_id"));
    }

    private static List<Integer> ids(JsonNode node) {
        List<Integer> out = new ArrayList<>();
        if (node != null && node.isInt()) {
            out.add(node.intValue());
        } else if (node != null && node.isArray()) {
            node.forEach(n -> {
                if (n.isInt()) out.add(n.intValue());
            });
        }
        return out;
    }

    private static void checkArchitecture(String file, ObjectNode json) {
        JsonNode type = json.get("model_type");
        if (type == null || !type.isTextual()) {
            throw new ModelFormatException(file, "has no model_type; expected \"" + MODEL_TYPE + "\"");
        }
        if (!MODEL_TYPE.equals(type.textValue())) {
            throw new ModelFormatException(file, "model_type is \"" + type.textValue()
                    + "\"; only \"" + MODEL_TYPE + "\" (Llama architecture) is supported");
        }
        JsonNode arch = json.get("architectures");
        if (arch != null && !arch.isNull()) {
            boolean found = false;
            if (arch.isArray()) {
                for (JsonNode a : arch) found |= ARCHITECTURE.equals(a.asText());
            }
            if (!found) {
                throw new ModelFormatException(file, "architectures is " + arch + "; expected it to include \""
                        + ARCHITECTURE + "\"");
            }
        }
        expect(file, json, "hidden_act", "silu");
        expect(file, json, "attention_bias", false);
        expect(file, json, "mlp_bias", false);
    }

    private static void expect(String file, ObjectNode json, String field, Object supported) {
        JsonNode v = json.get(field);
        if (v != null && !v.isNull() && !v.equals(JSON.valueToTree(supported))) {
            throw new ModelFormatException(file, field + " is " + v + "; only " + JSON.valueToTree(supported)
                    + " is supported");
        }
    }

    /**
     * Accepts {@code rope_scaling} with {@code rope_type} or the older {@code type}, and the
     * {@code rope_parameters} block of newer transformers; "default" means no scaling.
     */
    private static void normaliseRope(String file, ObjectNode fields) {
        JsonNode params = fields.get("rope_parameters");
        if (params != null && params.isObject()) {
            if (!fields.hasNonNull("rope_theta") && params.hasNonNull("rope_theta")) {
                fields.set("rope_theta", params.get("rope_theta"));
            }
            if (!fields.hasNonNull("rope_scaling")) {
                fields.set("rope_scaling", params);
            }
        }
        JsonNode scaling = fields.get("rope_scaling");
        if (scaling == null || scaling.isNull()) {
            return;
        }
        if (!scaling.isObject()) {
            throw new ModelFormatException(file, "rope_scaling must be an object or null, got " + scaling);
        }
        ObjectNode s = ((ObjectNode) scaling).deepCopy();
        JsonNode type = s.hasNonNull("rope_type") ? s.get("rope_type") : s.get("type");
        String t = type == null ? "default" : type.asText();
        if (t.equals("default")) {
            fields.remove("rope_scaling");
            return;
        }
        if (!t.equals("llama3")) {
            throw new ModelFormatException(file, "rope_scaling type \"" + t
                    + "\" is not supported; supported: llama3, default (none)");
        }
        s.put("rope_type", t);
        fields.set("rope_scaling", s);
    }
}
