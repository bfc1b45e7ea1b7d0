package org.atmanrl.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.atmanrl.model.lora.LoraTarget;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A PEFT LoRA adapter directory, the format {@code PeftModel.from_pretrained} loads
 * (docs/design.md 3.4): {@code adapter_config.json} and {@code adapter_model.safetensors} with
 * PEFT's tensor names ({@link LoraAdapters#tensorName}), through Hadoop {@link FileSystem}.
 *
 * <p>File names are PEFT's {@code CONFIG_NAME} and {@code SAFETENSORS_WEIGHTS_NAME}
 * (src/peft/utils/constants.py); the config's keys are those of {@code PeftConfig}
 * (src/peft/config.py: {@code base_model_name_or_path}, {@code revision}, {@code peft_type},
 * {@code task_type}, {@code inference_mode}) and {@code LoraConfig} (src/peft/tuners/lora/config.py:
 * {@code r}, {@code target_modules}, {@code lora_alpha}, {@code lora_dropout}, {@code fan_in_fan_out},
 * {@code bias}, {@code use_rslora}, {@code modules_to_save}, {@code init_lora_weights},
 * {@code layers_to_transform}, {@code layers_pattern}, {@code rank_pattern}, {@code alpha_pattern},
 * {@code use_dora}), written with sorted keys as {@code PeftConfigMixin.save_pretrained} does and
 * {@code inference_mode: true} as {@code PeftModel.save_pretrained} sets it; all checked in
 * huggingface/peft 0.20.1.dev0, commit 5d602fdbff04c33c1c4de55cda9d4ae1d7cb7e40.
 *
 * <p>Writing is atomic (a temporary sibling renamed into place); reading is bounded and refuses,
 * in one line naming the file and the key or tensor, whatever this project cannot honour.
 */
public final class AdapterDirectory {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final long MAX_CONFIG_BYTES = 1L << 20;
    /** Keys that must hold these values (or be absent, when PEFT's default is the value). */
    private static final Set<String> NULL_OR_EMPTY = Set.of("modules_to_save", "layers_to_transform",
            "layers_pattern", "rank_pattern", "alpha_pattern", "exclude_modules", "trainable_token_indices",
            "layer_replication", "target_parameters");
    private static final Set<String> FALSE_OR_ABSENT = Set.of("use_rslora", "fan_in_fan_out", "use_dora",
            "lora_bias", "use_qalora");

    private AdapterDirectory() {
    }

    /** Adapters read from a directory, with the base model its config names (closing frees the adapters). */
    public record Loaded(LoraAdapters adapters, String baseModelNameOrPath) implements AutoCloseable {
        @Override
        public void close() {
            adapters.close();
        }
    }

    /** What adapter_config.json says that this project uses. */
    public record Config(LoraConfig lora, String baseModelNameOrPath) {
    }

    /**
     * Writes {@code dir}, which must not exist, whole or not at all: the config and the adapters in
     * {@code dtype} (F32 keeps them exact; BF16 halves the file).
     *
     * @param baseModelNameOrPath the base model as the config names it (a hub id or a path), or null
     */
    public static void save(FileSystem fs, Path dir, LoraAdapters adapters, String baseModelNameOrPath,
                            SafetensorsDType dtype) throws IOException {
        if (dtype == null || !dtype.writable()) {
            throw new IllegalArgumentException("adapters can be written as F32 or BF16, not " + dtype);
        }
        byte[] config = configBytes(adapters.config(), baseModelNameOrPath);
        HadoopFiles.writeAtomically(fs, dir, tmp -> {
            fs.mkdirs(tmp);
            ModelDirectory.writeSmall(fs, new Path(tmp, CONFIG), config);
            SafetensorsWriter.write(fs, new Path(tmp, WEIGHTS), adapters.named(), dtype, Map.of("format", "pt"));
        });
    }

    /** adapter_config.json's bytes: PEFT's keys, sorted, two-space indented. */
    static byte[] configBytes(LoraConfig lora, String baseModelNameOrPath) {
        ObjectNode o = JsonFiles.MAPPER.createObjectNode();
        // in sorted order, as PEFT writes them (json.dumps(..., sort_keys=True))
        o.putObject("alpha_pattern");
        o.putNull("auto_mapping");
        if (baseModelNameOrPath == null) o.putNull("base_model_name_or_path");
        else o.put("base_model_name_or_path", baseModelNameOrPath);
        o.put("bias", "none");
        o.put("fan_in_fan_out", false);
        o.put("inference_mode", true);
        o.put("init_lora_weights", true);
        o.putNull("layers_pattern");
        o.putNull("layers_to_transform");
        if (lora.alpha() == Math.rint(lora.alpha()) && Math.abs(lora.alpha()) < 1e15) {
            o.put("lora_alpha", (long) lora.alpha());
        } else {
            o.put("lora_alpha", lora.alpha());
        }
        o.put("lora_dropout", lora.dropout());
        o.putNull("modules_to_save");
        o.put("peft_type", "LORA");
        o.put("r", lora.rank());
        o.putObject("rank_pattern");
        o.putNull("revision");
        ArrayNode targets = o.putArray("target_modules");
        for (LoraTarget t : lora.targets()) targets.add(t.peftName());
        o.put("task_type", "CAUSAL_LM");
        o.put("use_dora", false);
        o.put("use_rslora", false);
        try {
            return (JsonFiles.MAPPER.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to a string", e);
        }
    }

    /** Reads and checks {@code dir}'s adapter_config.json. */
    public static Config readConfig(FileSystem fs, Path dir) throws IOException {
        Path file = new Path(dir, CONFIG);
        return parseConfig(file.toString(), HadoopFiles.readSmall(fs, file, MAX_CONFIG_BYTES));
    }

    /** adapter_config.json's contents as this project can use them, or one line naming the key at fault. */
    static Config parseConfig(String file, byte[] bytes) {
        ObjectNode o = JsonFiles.parseObject(file, bytes);
        String peftType = requireText(file, o, "peft_type");
        if (!peftType.equals("LORA")) {
            throw new ModelFormatException(file, "peft_type is '" + peftType + "'; only LORA adapters can be loaded");
        }
        JsonNode task = o.get("task_type");
        if (task != null && !task.isNull() && !(task.isTextual() && task.asText().equals("CAUSAL_LM"))) {
            throw new ModelFormatException(file, "task_type is " + task + "; a Llama policy needs CAUSAL_LM");
        }
        JsonNode bias = o.get("bias");
        if (bias != null && !(bias.isTextual() && bias.asText().equals("none"))) {
            throw new ModelFormatException(file, "bias is " + bias + "; only \"none\" is supported (no bias terms are trained)");
        }
        for (String key : FALSE_OR_ABSENT) {
            JsonNode v = o.get(key);
            if (v != null && !v.isNull() && !(v.isBoolean() && !v.asBoolean())) {
                throw new ModelFormatException(file, key + " is " + v + "; only false is supported"
                        + (key.equals("use_rslora") ? " (the branch is scaled by lora_alpha / r)" : ""));
            }
        }
        for (String key : NULL_OR_EMPTY) {
            JsonNode v = o.get(key);
            if (v != null && !v.isNull() && !((v.isObject() || v.isArray()) && v.isEmpty())) {
                throw new ModelFormatException(file, key + " is " + v + "; only null is supported");
            }
        }
        JsonNode r = o.get("r");
        if (r == null || !r.canConvertToExactIntegral() || !r.canConvertToInt()) {
            throw new ModelFormatException(file, "r is " + r + "; an integer rank is needed");
        }
        JsonNode alpha = o.get("lora_alpha");
        if (alpha == null || !alpha.isNumber()) {
            throw new ModelFormatException(file, "lora_alpha is " + alpha + "; a number is needed");
        }
        JsonNode dropout = o.get("lora_dropout");
        if (dropout != null && !dropout.isNull() && !dropout.isNumber()) {
            throw new ModelFormatException(file, "lora_dropout is " + dropout + "; a number is needed");
        }
        JsonNode targets = o.get("target_modules");
        if (targets == null || !targets.isArray()) {
            throw new ModelFormatException(file, "target_modules is " + targets
                    + "; a list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj is needed");
        }
        List<String> modules = new ArrayList<>();
        for (JsonNode t : targets) {
            if (!t.isTextual() || LoraTarget.byPeftName(t.asText()) == null) {
                throw new ModelFormatException(file, "target_modules holds " + t
                        + ", not one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
            }
            modules.add(t.asText());
        }
        if (r.asInt() < 1) {
            throw new ModelFormatException(file, "r is " + r + "; a rank of at least 1 is needed");
        }
        if (!(alpha.asDouble() > 0) || Double.isInfinite(alpha.asDouble())) {
            throw new ModelFormatException(file, "lora_alpha is " + alpha + "; a finite number above 0 is needed");
        }
        if (dropout != null && dropout.isNumber() && !(dropout.asDouble() >= 0 && dropout.asDouble() < 1)) {
            throw new ModelFormatException(file, "lora_dropout is " + dropout + "; a number in [0, 1) is needed");
        }
        LoraConfig lora;
        try {
            lora = new LoraConfig(r.asInt(), alpha.asDouble(), dropout == null || dropout.isNull() ? 0 : dropout.asDouble(),
                    modules);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage());
        }
        JsonNode base = o.get("base_model_name_or_path");
        return new Config(lora, base == null || base.isNull() ? null : base.asText());
    }

    private static String requireText(String file, ObjectNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || !v.isTextual()) {
            throw new ModelFormatException(file, key + " is " + (v == null ? "missing" : v.toString()) + "; a string is needed");
        }
        return v.asText();
    }

    /**
     * Reads {@code dir}'s adapters for a base of config {@code model}, in {@code dtype} (FLOAT or
     * DOUBLE). Every tensor name and shape is checked against the config before any is read.
     */
    public static Loaded load(FileSystem fs, Path dir, LlamaConfig model, DataType dtype) throws IOException {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("compute type must be FLOAT or DOUBLE, got " + dtype);
        }
        Config config = readConfig(fs, dir);
        Map<String, long[]> expected = LoraAdapters.shapes(model, config.lora());
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(fs, new Path(dir, WEIGHTS))) {
            Map<String, SafetensorsHeader.Entry> found = reader.header().tensors();
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                SafetensorsHeader.Entry f = found.get(e.getKey());
                if (f == null) {
                    throw new ModelFormatException(reader.file(), "missing tensor '" + e.getKey() + "' (" + CONFIG
                            + ": target_modules " + config.lora().targetModules() + ", the base has "
                            + model.numHiddenLayers() + " layers)");
                }
                if (!Arrays.equals(f.shape(), e.getValue())) {
                    throw new ModelFormatException(reader.file(), "tensor '" + e.getKey() + "' has shape "
                            + Arrays.toString(f.shape()) + " but r = " + config.lora().rank()
                            + " and the base imply " + Arrays.toString(e.getValue()));
                }
            }
            for (String name : found.keySet()) {
                if (!expected.containsKey(name)) {
                    throw new ModelFormatException(reader.file(), "unexpected tensor '" + name + "'; "
                            + CONFIG + " (target_modules " + config.lora().targetModules()
                            + ") and a base of " + model.numHiddenLayers() + " layers do not have it");
                }
            }
            for (String name : expected.keySet()) {
                INDArray a = reader.read(found.get(name));
                if (dtype == DataType.DOUBLE) {
                    INDArray d = a.castTo(DataType.DOUBLE);
                    a.close();
                    a = d;
                }
                tensors.put(name, a);
            }
            return new Loaded(LoraAdapters.fromNamed(model, config.lora(), tensors), config.baseModelNameOrPath());
        } catch (RuntimeException | IOException e) {
            tensors.values().forEach(INDArray::close);
            throw e;
        }
    }
}
