package org.atmanrl.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.atmanrl.model.io.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** manifest.json's rules, and the names of checkpoint and temporary directories. */
class CheckpointManifestTest {
    private static final String SHA = "0123456789abcdef".repeat(4);
    private static final List<String> REQUIRED = List.of("model/config.json", "optimizer.safetensors",
            "run_state.json", "config.yaml");

    private static String entry(String path) {
        return "{\"path\": \"" + path + "\", \"size\": 1, \"sha256\": \"" + SHA + "\"}";
    }

    private static String manifest(String extraEntry) {
        StringBuilder files = new StringBuilder();
        for (String p : REQUIRED) files.append(files.length() == 0 ? "" : ", ").append(entry(p));
        if (extraEntry != null) files.append(", ").append(extraEntry);
        return "{\"format\": \"atmanrl-checkpoint\", \"version\": 1, \"step\": 7, \"files\": [" + files + "]}";
    }

    private static ModelFormatException refused(String json) {
        return assertThrows(ModelFormatException.class,
                () -> CheckpointManifest.parse("m.json", json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void writtenManifestParsesBack() {
        Map<String, CheckpointManifest.FileEntry> files = new LinkedHashMap<>();
        for (String p : REQUIRED) files.put(p, new CheckpointManifest.FileEntry(p, p.length(), SHA));
        files.put("model/tokenizer.json", new CheckpointManifest.FileEntry("model/tokenizer.json", 0, SHA));
        CheckpointManifest m = new CheckpointManifest(12_345_678_901L, files);
        assertEquals(m, CheckpointManifest.parse("m.json", m.toBytes()));
        assertEquals(List.of("tokenizer.json"), m.modelCompanionFiles());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "model/../x", "/etc/passwd", "model//x", "./x", "model/./x", ".hidden",
            "model/sub/x", "other/x", "hdfs:x", "a\\\\b", "", "manifest.json", "model/"})
    void pathsThatCouldLeaveTheCheckpointAreRefused(String path) {
        ModelFormatException e = refused(manifest(entry(path)));
        assertTrue(e.getMessage().contains("lists path"), e.getMessage());
    }

    @Test
    void plainNamesAtTheTopAndInModelAreAccepted() {
        CheckpointManifest.parse("m.json", manifest(entry("model/special_tokens_map.json")).getBytes(StandardCharsets.UTF_8));
        CheckpointManifest.parse("m.json", manifest(entry("extra_1.bin")).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void malformedManifestsAreRefused() {
        String good = manifest(null);
        assertTrue(refused(good.replace("\"version\": 1", "\"version\": 2")).getMessage().contains("version 2"));
        assertTrue(refused(good.replace("atmanrl-checkpoint", "other")).getMessage().contains("format"));
        assertTrue(refused(good.replace("\"step\": 7", "\"step\": -7")).getMessage().contains("step"));
        assertTrue(refused(good.replace("\"step\": 7,", "")).getMessage().contains("step"));
        assertTrue(refused(good.replace("{\"format\"", "{\"extra\": 1, \"format\"")).getMessage().contains("extra"));
        assertTrue(refused(manifest(entry("run_state.json"))).getMessage().contains("twice"));
        assertTrue(refused(good.replace(entry("config.yaml") + "", entry("x.yaml"))).getMessage().contains("config.yaml"));
        assertTrue(refused(good.replaceFirst("\"size\": 1", "\"size\": -1")).getMessage().contains("size"));
        assertTrue(refused(good.replaceFirst("\"size\": 1", "\"size\": 1.5")).getMessage().contains("size"));
        assertTrue(refused(good.replaceFirst(SHA, SHA.toUpperCase())).getMessage().contains("sha256"));
        assertTrue(refused(good.replaceFirst(SHA, SHA.substring(1))).getMessage().contains("sha256"));
        assertTrue(refused(good + " {}").getMessage().contains("more content"));
        assertTrue(refused(good.replace("\"size\": 1, ", "")).getMessage().contains("exactly"));
    }

    @Test
    void stepDirectoryNames() {
        assertEquals("step-00000010", CheckpointLayout.stepName(10));
        assertEquals("step-123456789", CheckpointLayout.stepName(123_456_789));
        assertEquals(OptionalLong.of(10), CheckpointLayout.parseStep("step-00000010"));
        assertEquals(OptionalLong.of(123_456_789), CheckpointLayout.parseStep("step-123456789"));
        for (String other : new String[] {"step-010", "step-000000010", "step-00000010.tmp", "step-", "step--0000001",
                ".step-00000010", "step-99999999999999999999", "Step-00000010"}) {
            assertEquals(OptionalLong.empty(), CheckpointLayout.parseStep(other), other);
        }
    }

    @Test
    void temporaryNamesAreWhatTheWriterUses() {
        String written = org.atmanrl.model.io.HadoopFiles.temporarySibling(
                new org.apache.hadoop.fs.Path("/c/step-00000010")).getName();
        assertTrue(CheckpointLayout.isTemporary(written), written);
        for (String other : new String[] {"step-00000010", ".step-00000010.tmp-", ".model.tmp-" + java.util.UUID.randomUUID(),
                "step-00000010.tmp-" + java.util.UUID.randomUUID(), ".step-10.tmp-" + java.util.UUID.randomUUID()}) {
            assertTrue(!CheckpointLayout.isTemporary(other), other);
        }
    }
}
