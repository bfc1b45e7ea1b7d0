package org.atmanrl.driver.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.AdapterDirectory;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.HfConfig;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.io.ShardIndex;

/**
 * A checkpoint's {@code manifest.json}: the step, and every other file of the directory with its
 * size and SHA-256. It is written last, so its presence says the writer finished; its sizes let a
 * listing tell a complete checkpoint cheaply, and its hashes let a load refuse a corrupt one.
 *
 * @param files by relative path ({@code /}-separated), in path order
 */
record CheckpointManifest(long step, Map<String, FileEntry> files) {
    static final String FORMAT = "atmanrl-checkpoint";
    static final int VERSION = 1;
    /** Far above a real manifest (a dozen files); bounds the read of a corrupt or foreign file. */
    private static final long MAX_BYTES = 1L << 20;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** What a load reads besides what ModelDirectory finds in model/ (which the listing check covers). */
    private static final List<String> REQUIRED = List.of(CheckpointLayout.MODEL + "/" + HfConfig.FILE,
            CheckpointLayout.RUN_STATE, CheckpointLayout.CONFIG);
    private static final Set<String> FIELDS = Set.of("format", "version", "step", "files");

    record FileEntry(String path, long size, String sha256) {
    }

    CheckpointManifest {
        files = Collections.unmodifiableMap(new TreeMap<>(files));
    }

    /** The manifest of a directory that is complete but for it: lists and hashes every file. */
    static CheckpointManifest describe(FileSystem fs, Path dir, long step) throws IOException {
        Map<String, FileEntry> files = new LinkedHashMap<>();
        for (Map.Entry<String, Long> f : CheckpointFiles.sizes(fs, dir).entrySet()) {
            String path = f.getKey();
            if (path.equals(CheckpointLayout.MANIFEST)) {
                throw new IllegalStateException(dir + " already has a manifest");
            }
            // The reader's rules, applied before writing: never produce a checkpoint it refuses.
            checkPath(dir.toString(), path);
            files.put(path, new FileEntry(path, f.getValue(), CheckpointFiles.sha256(fs, new Path(dir, path))));
        }
        CheckpointManifest manifest = new CheckpointManifest(step, files);
        manifest.checkRequired(dir.toString());
        return manifest;
    }

    static CheckpointManifest read(FileSystem fs, Path dir) throws IOException {
        Path file = new Path(dir, CheckpointLayout.MANIFEST);
        return parse(file.toString(), HadoopFiles.readSmall(fs, file, MAX_BYTES));
    }

    /** Parses and validates {@code bytes}; every fault is a ModelFormatException naming {@code file}. */
    static CheckpointManifest parse(String file, byte[] bytes) {
        ObjectNode root = JsonFiles.parseObject(file, bytes);
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                throw new ModelFormatException(file, "unknown field '" + name + "'");
            }
        }
        JsonNode format = root.get("format");
        if (format == null || !FORMAT.equals(format.textValue())) {
            throw new ModelFormatException(file, "field 'format' must be \"" + FORMAT + "\", found " + format);
        }
        long version = nonNegativeLong(file, root.get("version"), "version");
        if (version != VERSION) {
            throw new ModelFormatException(file, "is format version " + version + "; this build reads version "
                    + VERSION);
        }
        long step = nonNegativeLong(file, root.get("step"), "step");
        JsonNode list = root.get("files");
        if (list == null || !list.isArray()) {
            throw new ModelFormatException(file, "field 'files' must be an array");
        }
        Map<String, FileEntry> files = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            FileEntry entry = entry(file, "files[" + i + "]", list.get(i));
            if (files.put(entry.path(), entry) != null) {
                throw new ModelFormatException(file, "lists '" + entry.path() + "' twice");
            }
        }
        CheckpointManifest manifest = new CheckpointManifest(step, files);
        manifest.checkRequired(file);
        return manifest;
    }

    private static FileEntry entry(String file, String where, JsonNode node) {
        if (node == null || !node.isObject() || node.size() != 3) {
            throw new ModelFormatException(file, where + " must be an object with exactly path, size, sha256");
        }
        JsonNode path = node.get("path"), sha = node.get("sha256");
        if (path == null || !path.isTextual()) {
            throw new ModelFormatException(file, where + ".path must be a string");
        }
        checkPath(file, path.textValue());
        long size = nonNegativeLong(file, node.get("size"), where + ".size");
        if (sha == null || !sha.isTextual() || !SHA256.matcher(sha.textValue()).matches()) {
            throw new ModelFormatException(file, where + ".sha256 must be 64 lowercase hex digits, found " + sha);
        }
        return new FileEntry(path.textValue(), size, sha.textValue());
    }

    /**
     * A listed path must stay inside the checkpoint: a file at the top or one in model/ or adapter/, each
     * segment a plain name. Anything else ({@code ../x}, {@code /etc/x}, {@code a//b}) is a fault.
     */
    private static void checkPath(String file, String path) {
        String[] segments = path.split("/", -1);
        boolean ok = segments.length == 1 || (segments.length == 2 && (segments[0].equals(CheckpointLayout.MODEL)
                || segments[0].equals(CheckpointLayout.ADAPTER)));
        for (String s : segments) {
            ok &= CheckpointLayout.isPlainName(s);
        }
        if (!ok || path.equals(CheckpointLayout.MANIFEST)) {
            throw new ModelFormatException(file, "lists path '" + path + "', which is not a file this"
                    + " checkpoint layout can hold (a plain name at the top or in " + CheckpointLayout.MODEL + "/ or "
                    + CheckpointLayout.ADAPTER + "/)");
        }
    }

    private static long nonNegativeLong(String file, JsonNode node, String field) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
            throw new ModelFormatException(file, "field '" + field + "' must be a non-negative integer, found " + node);
        }
        return node.longValue();
    }

    private void checkRequired(String file) {
        for (String path : REQUIRED) {
            if (!files.containsKey(path)) {
                throw new ModelFormatException(file, "does not list " + path);
            }
        }
        if (!files.containsKey(CheckpointLayout.OPTIMIZER) && optimizerShards(file) == 0) {
            throw new ModelFormatException(file, "does not list " + CheckpointLayout.OPTIMIZER
                    + " (nor a barrier run's optimizer shards)");
        }
    }

    /**
     * The rank count of a barrier run's optimizer shards (docs/design.md 3.5), 0 when the state is
     * the one {@link CheckpointLayout#OPTIMIZER}; shards of different counts, or both forms, are refused.
     */
    int optimizerShards(String file) {
        int ranks = 0;
        for (String path : files.keySet()) {
            int p = CheckpointLayout.optimizerShards(path);
            if (p == 0) continue;
            if (ranks != 0 && p != ranks || files.containsKey(CheckpointLayout.OPTIMIZER)) {
                throw new ModelFormatException(file, "lists optimizer states of different layouts (" + path + ")");
            }
            ranks = p;
        }
        return ranks;
    }

    byte[] toBytes() {
        ObjectNode root = JsonFiles.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("step", step);
        ArrayNode list = root.putArray("files");
        for (FileEntry f : files.values()) {
            list.addObject().put("path", f.path()).put("size", f.size()).put("sha256", f.sha256());
        }
        try {
            return JsonFiles.MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("serialising a JSON tree", e);
        }
    }

    /**
     * The cheap check, from one listing: every listed file is there with its size, and nothing
     * else is (a stray weights index in model/ would change what loads).
     */
    void checkSizes(FileSystem fs, Path dir) throws IOException {
        Map<String, Long> found = CheckpointFiles.sizes(fs, dir);
        found.remove(CheckpointLayout.MANIFEST);
        for (FileEntry f : files.values()) {
            Long size = found.remove(f.path());
            Path p = new Path(dir, f.path());
            if (size == null) {
                throw new ModelFormatException(p.toString(), "missing; " + CheckpointLayout.MANIFEST + " lists it");
            }
            if (size != f.size()) {
                throw new ModelFormatException(p.toString(), "is " + size + " bytes; " + CheckpointLayout.MANIFEST
                        + " says " + f.size() + " (truncated or rewritten)");
            }
        }
        if (!found.isEmpty()) {
            String path = found.keySet().iterator().next();
            throw new ModelFormatException(new Path(dir, path).toString(), "is not listed in "
                    + CheckpointLayout.MANIFEST + (found.size() > 1 ? " (nor are " + (found.size() - 1) + " more)" : ""));
        }
    }

    /** The full check: every listed file's SHA-256, i.e. reads the whole checkpoint once. */
    void checkHashes(FileSystem fs, Path dir) throws IOException {
        for (FileEntry f : files.values()) {
            Path p = new Path(dir, f.path());
            String actual = CheckpointFiles.sha256(fs, p);
            if (!actual.equals(f.sha256())) {
                throw new ModelFormatException(p.toString(), "SHA-256 is " + actual + "; "
                        + CheckpointLayout.MANIFEST + " says " + f.sha256() + " (corrupt)");
            }
        }
    }

    /** Whether the checkpoint holds LoRA adapters (adapter/) rather than the model's weights. */
    boolean holdsAdapters() {
        return files.containsKey(CheckpointLayout.ADAPTER + "/" + AdapterDirectory.CONFIG);
    }

    /** The files of the model directory besides what ModelDirectory reads itself. */
    List<String> modelCompanionFiles() {
        List<String> names = new ArrayList<>();
        String prefix = CheckpointLayout.MODEL + "/";
        for (String path : files.keySet()) {
            if (path.startsWith(prefix)) {
                String name = path.substring(prefix.length());
                if (!name.equals(HfConfig.FILE) && !name.endsWith(".safetensors")
                        && !name.equals(ShardIndex.FILE) && !name.equals(MaskHeadFiles.CONFIG)) {
                    names.add(name);
                }
            }
        }
        return names;
    }
}
