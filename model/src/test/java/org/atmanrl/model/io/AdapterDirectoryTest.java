package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.TinyModels;
import org.atmanrl.model.lora.LoraAdapters;
import org.atmanrl.model.lora.LoraConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PEFT adapter directories (docs/design.md 3.4): PEFT's file names, tensor names and
 * adapter_config.json keys; a round trip bit for bit (write, read, write again: the same bytes);
 * a config or tensor this project cannot honour refused in one line naming the file and the key.
 */
class AdapterDirectoryTest {
    static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    /** The keys written: PEFT's PeftConfig and LoraConfig fields a LoRA adapter_config.json holds. */
    static final List<String> KEYS = List.of("alpha_pattern", "auto_mapping", "base_model_name_or_path", "bias",
            "fan_in_fan_out", "inference_mode", "init_lora_weights", "layers_pattern", "layers_to_transform",
            "lora_alpha", "lora_dropout", "modules_to_save", "peft_type", "r", "rank_pattern", "revision",
            "target_modules", "task_type", "use_dora", "use_rslora");

    @TempDir
    java.nio.file.Path tmp;
    FileSystem fs;
    Path base;
    LlamaConfig model = TinyModels.gqaUntiedScaled(0.2);

    @BeforeEach
    void setUp() {
        base = new Path(tmp.toUri());
        fs = HadoopFiles.fileSystem(base, new Configuration());
    }

    /** Adapters with every tensor non-zero, so that a swapped or dropped tensor shows. */
    private LoraAdapters adapters(LoraConfig lc) {
        LoraAdapters ad = LoraAdapters.init(model, lc, 21, DataType.FLOAT);
        int k = 0;
        for (Map.Entry<String, INDArray> e : ad.named().entrySet()) {
            if (e.getKey().endsWith("lora_B.weight")) {
                e.getValue().assign(TinyModels.gaussian(DataType.FLOAT, 300 + k++, 0.1, e.getValue().shape()));
            }
        }
        return ad;
    }

    @Test
    void roundTripIsBitIdenticalWithPeftNames() throws Exception {
        LoraConfig lc = new LoraConfig(4, 16, 0.05, ALL);
        for (SafetensorsDType dtype : new SafetensorsDType[] {SafetensorsDType.F32, SafetensorsDType.BF16}) {
            Path first = new Path(base, "first-" + dtype), second = new Path(base, "second-" + dtype);
            try (LoraAdapters saved = adapters(lc)) {
                AdapterDirectory.save(fs, first, saved, "meta-llama/Llama-3.2-1B-Instruct", dtype);
                try (AdapterDirectory.Loaded loaded = AdapterDirectory.load(fs, first, model, DataType.FLOAT)) {
                    assertEquals("meta-llama/Llama-3.2-1B-Instruct", loaded.baseModelNameOrPath());
                    assertEquals(lc, loaded.adapters().config());
                    Map<String, INDArray> a = saved.named(), b = loaded.adapters().named();
                    assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()));
                    for (String name : a.keySet()) {
                        assertArrayEquals(a.get(name).shape(), b.get(name).shape(), name);
                        if (dtype == SafetensorsDType.F32) {
                            assertArrayEquals(a.get(name).data().asFloat(), b.get(name).data().asFloat(), name);
                        } else {
                            assertTrue(a.get(name).sub(b.get(name)).amaxNumber().doubleValue()
                                    <= a.get(name).amaxNumber().doubleValue() / 128, name);
                        }
                    }
                    AdapterDirectory.save(fs, second, loaded.adapters(), loaded.baseModelNameOrPath(), dtype);
                }
            }
            for (String file : List.of(AdapterDirectory.CONFIG, AdapterDirectory.WEIGHTS)) {
                assertArrayEquals(bytes(first, file), bytes(second, file), dtype + " " + file + " written again");
            }
        }
        assertThrows(FileAlreadyExistsException.class, () -> AdapterDirectory.save(fs, new Path(base, "first-F32"),
                adapters(lc), null, SafetensorsDType.F32));
    }

    @Test
    void filesTensorNamesAndConfigKeysArePefts() throws Exception {
        Path dir = new Path(base, "adapter");
        AdapterDirectory.save(fs, dir, adapters(new LoraConfig(2, 8, 0, List.of("v_proj", "q_proj", "down_proj"))),
                "/models/base", SafetensorsDType.F32);
        List<String> files = new ArrayList<>();
        for (var s : fs.listStatus(dir)) files.add(s.getPath().getName());
        java.util.Collections.sort(files);
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"), files);
        for (var s : fs.listStatus(base)) assertFalse(s.getPath().getName().startsWith("."), "no temporary left");

        ObjectNode config = JsonFiles.parseObject("c", bytes(dir, AdapterDirectory.CONFIG));
        List<String> keys = new ArrayList<>();
        config.fieldNames().forEachRemaining(keys::add);
        assertEquals(KEYS, keys, "PEFT's keys, sorted as PEFT writes them");
        assertEquals("LORA", config.get("peft_type").asText());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
        assertEquals(2, config.get("r").intValue());
        assertTrue(config.get("r").isInt());
        assertTrue(config.get("lora_alpha").isIntegralNumber(), "an integral alpha is written as PEFT's int");
        assertEquals(8, config.get("lora_alpha").intValue());
        assertEquals(0.0, config.get("lora_dropout").doubleValue());
        assertEquals("none", config.get("bias").asText());
        assertFalse(config.get("fan_in_fan_out").asBoolean());
        assertFalse(config.get("use_rslora").asBoolean());
        assertTrue(config.get("inference_mode").asBoolean());
        assertTrue(config.get("init_lora_weights").asBoolean());
        assertTrue(config.get("modules_to_save").isNull());
        assertTrue(config.get("layers_to_transform").isNull());
        assertTrue(config.get("revision").isNull());
        assertEquals("/models/base", config.get("base_model_name_or_path").asText());
        assertEquals("[\"q_proj\",\"v_proj\",\"down_proj\"]", config.get("target_modules").toString());

        try (SafetensorsReader r = SafetensorsReader.open(fs, new Path(dir, AdapterDirectory.WEIGHTS))) {
            Map<String, SafetensorsHeader.Entry> t = r.header().tensors();
            assertEquals(2 * 3 * model.numHiddenLayers(), t.size());
            // lora_A [r, in], lora_B [out, r], as PEFT's nn.Linear(in, r) and nn.Linear(r, out) store them
            assertArrayEquals(new long[] {2, model.hiddenSize()},
                    t.get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape());
            assertArrayEquals(new long[] {(long) model.numAttentionHeads() * model.headDim(), 2},
                    t.get("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").shape());
            assertArrayEquals(new long[] {2, model.intermediateSize()},
                    t.get("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight").shape());
            assertArrayEquals(new long[] {model.hiddenSize(), 2},
                    t.get("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").shape());
            assertTrue(t.containsKey("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"));
            assertEquals("pt", r.header().metadata().get("format"));
        }
    }

    @Test
    void unusableConfigsAreRefusedInOneLineNamingFileAndKey() throws Exception {
        Path good = new Path(base, "good");
        AdapterDirectory.save(fs, good, adapters(new LoraConfig(2, 4, 0, ALL)), null, SafetensorsDType.F32);
        refused(good, "bad-type", o -> o.put("peft_type", "IA3"), "peft_type");
        refused(good, "rslora", o -> o.put("use_rslora", true), "use_rslora");
        refused(good, "fan", o -> o.put("fan_in_fan_out", true), "fan_in_fan_out");
        refused(good, "bias", o -> o.put("bias", "all"), "bias");
        refused(good, "dora", o -> o.put("use_dora", true), "use_dora");
        refused(good, "layers", o -> o.putArray("layers_to_transform").add(0), "layers_to_transform");
        refused(good, "save", o -> o.putArray("modules_to_save").add("lm_head"), "modules_to_save");
        refused(good, "module", o -> o.putArray("target_modules").add("q_proj").add("lm_head"), "target_modules");
        refused(good, "regex", o -> o.put("target_modules", ".*proj"), "target_modules");
        refused(good, "rank", o -> o.put("r", 0), "r is 0");
        refused(good, "alpha", o -> o.put("lora_alpha", -2), "lora_alpha is -2");
        refused(good, "dropout", o -> o.put("lora_dropout", 1.0), "lora_dropout is 1.0");
        refused(good, "twice", o -> o.putArray("target_modules").add("q_proj").add("q_proj"), "target_modules names 'q_proj' twice");
        // tensors that do not match the config: extra, missing, mis-shaped
        refused(good, "extra", o -> o.putArray("target_modules").add("q_proj").add("k_proj"),
                "unexpected tensor 'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight'");
        refused(good, "shape", o -> o.put("r", 3),
                "tensor 'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [2, 8]");
        Path fewer = new Path(base, "fewer");
        AdapterDirectory.save(fs, fewer, adapters(new LoraConfig(2, 4, 0, List.of("q_proj"))), null, SafetensorsDType.F32);
        refused(fewer, "missing", o -> o.putArray("target_modules").add("q_proj").add("up_proj"),
                "missing tensor 'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight'");
        // a config that is not JSON at all
        Path broken = new Path(base, "broken");
        fs.mkdirs(broken);
        ModelDirectory.writeSmall(fs, new Path(broken, AdapterDirectory.CONFIG), "{\"r\": 2,".getBytes(StandardCharsets.UTF_8));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> AdapterDirectory.load(fs, broken, model, DataType.FLOAT));
        assertTrue(e.getMessage().startsWith(new Path(broken, AdapterDirectory.CONFIG) + ": truncated"), e.getMessage());
    }

    /** A copy of {@code good} with its config edited fails to load with one line naming the file and {@code expected}. */
    private void refused(Path good, String name, Consumer<ObjectNode> edit, String expected) throws Exception {
        Path dir = new Path(base, name);
        fs.mkdirs(dir);
        ObjectNode o = JsonFiles.parseObject("c", bytes(good, AdapterDirectory.CONFIG));
        edit.accept(o);
        ModelDirectory.writeSmall(fs, new Path(dir, AdapterDirectory.CONFIG), JsonFiles.MAPPER.writeValueAsBytes(o));
        ModelDirectory.writeSmall(fs, new Path(dir, AdapterDirectory.WEIGHTS), bytes(good, AdapterDirectory.WEIGHTS));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> AdapterDirectory.load(fs, dir, model, DataType.FLOAT), name);
        String m = e.getMessage();
        System.out.println("refused " + name + ": " + m);
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.startsWith(dir.toString() + "/adapter_"), "names the file: " + m);
        assertTrue(m.contains(expected), "names " + expected + ": " + m);
    }

    private byte[] bytes(Path dir, String file) throws Exception {
        return Files.readAllBytes(java.nio.file.Path.of(new Path(dir, file).toUri()));
    }

    @Test
    void loraConfigChecksEachField() {
        assertEquals("lora rank must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 1, 0, ALL)).getMessage());
        assertEquals("lora alpha must be a finite number greater than 0, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> new LoraConfig(1, -1, 0, ALL)).getMessage());
        assertEquals("lora dropout must be in [0, 1), got 1.0",
                assertThrows(IllegalArgumentException.class, () -> new LoraConfig(1, 1, 1, ALL)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new LoraConfig(1, 1, 0, List.of()))
                .getMessage().startsWith("lora target_modules must name at least one of q_proj, k_proj"));
        assertEquals("lora target_modules: 'lm_head' is not one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj",
                assertThrows(IllegalArgumentException.class, () -> new LoraConfig(1, 1, 0, List.of("lm_head"))).getMessage());
        assertEquals(0.5, new LoraConfig(16, 8, 0.1, List.of("q_proj")).scaling());
        assertEquals(List.of("q_proj", "v_proj", "down_proj"),
                new LoraConfig(1, 1, 0, List.of("down_proj", "v_proj", "q_proj")).targetModules(), "the layer's order");
        assertNull(LoraAdapters.init(model, new LoraConfig(1, 1, 0, List.of("q_proj")), 1, DataType.FLOAT)
                .a(0, org.atmanrl.model.lora.LoraTarget.K_PROJ));
    }
}
