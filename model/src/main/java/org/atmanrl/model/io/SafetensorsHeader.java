package org.atmanrl.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file: each tensor's dtype, shape and byte range in the data
 * section, plus free-form {@code __metadata__}. {@link #parse} accepts exactly what the reference
 * (Rust) implementation accepts: byte ranges that tile the data section in order, no gaps, no
 * overlaps, sizes that match dtype times shape.
 */
public record SafetensorsHeader(Map<String, Entry> tensors, Map<String, String> metadata) {
    /** The reference implementation's bound; a larger header is a corrupt length field. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Compact: HF's writer puts the header on one line. */
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor: {@code begin}/{@code end} are offsets into the data section (after the header). */
    public record Entry(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    public SafetensorsHeader {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Entries in the order of their bytes in the file: the order to stream them in. */
    public List<Entry> inFileOrder() {
        List<Entry> list = new ArrayList<>(tensors.values());
        list.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        return list;
    }

    /**
     * Checks the 8-byte length field against the file before anything is allocated for the header.
     * @return the header length as an int
     */
    static int checkHeaderLength(String file, long headerLength, long fileLength) {
        if (headerLength < 2) {
            throw new ModelFormatException(file, "header length " + headerLength
                    + " is too small for a JSON object (not a safetensors file?)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, "header length field says " + headerLength
                    + " bytes, more than the format's limit of " + MAX_HEADER_BYTES
                    + " (corrupt or not a safetensors file)");
        }
        if (headerLength > fileLength - 8) {
            throw new ModelFormatException(file, "header length field says " + headerLength
                    + " bytes but the file has only " + (fileLength - 8) + " after it (truncated file?)");
        }
        return (int) headerLength;
    }

    /**
     * Parses and validates a header against the size of the data section that follows it.
     * @param file names the file in errors
     */
    public static SafetensorsHeader parse(String file, byte[] json, long dataLength) {
        ObjectNode root = JsonFiles.parseObject(file, "header: ", json);
        Map<String, Entry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                readMetadata(file, field.getValue(), metadata);
            } else {
                tensors.put(field.getKey(), readEntry(file, field.getKey(), field.getValue()));
            }
        }
        SafetensorsHeader header = new SafetensorsHeader(tensors, metadata);
        header.checkTiling(file, dataLength);
        return header;
    }

    private static void readMetadata(String file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new ModelFormatException(file, "__metadata__ must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(file, "__metadata__." + e.getKey() + " must be a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static Entry readEntry(String file, String name, JsonNode node) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new ModelFormatException(file, where + " must be an object with dtype, shape, data_offsets");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw new ModelFormatException(file, where + " has no string field 'dtype'");
        }
        SafetensorsDType type = SafetensorsDType.parse(file, name, dtype.textValue());
        long[] shape = longs(file, where, node.get("shape"), "shape", -1);
        long[] offsets = longs(file, where, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0], end = offsets[1];
        if (end < begin) {
            throw new ModelFormatException(file, where + " has data_offsets [" + begin + ", " + end
                    + "] that end before they begin");
        }
        long bytes;
        try {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            bytes = Math.multiplyExact(n, type.bytes());
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, where + " has shape " + Arrays.toString(shape)
                    + " whose size overflows 64 bits");
        }
        if (bytes != end - begin) {
            throw new ModelFormatException(file, where + " is " + type + " " + Arrays.toString(shape)
                    + " = " + bytes + " bytes, but its data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin));
        }
        return new Entry(name, type, shape, begin, end);
    }

    private static long[] longs(String file, String where, JsonNode node, String field, int size) {
        if (node == null || !node.isArray() || (size >= 0 && node.size() != size)) {
            throw new ModelFormatException(file, where + " needs '" + field + "' as an array of "
                    + (size >= 0 ? size + " " : "") + "non-negative integers");
        }
        long[] v = new long[node.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode x = node.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0) {
                throw new ModelFormatException(file, where + " has " + field + "[" + i + "] = " + x
                        + "; expected a non-negative 64-bit integer");
            }
            v[i] = x.longValue();
        }
        return v;
    }

    /** Byte ranges must cover [0, dataLength) exactly, in order: the reference implementation's rule. */
    private void checkTiling(String file, long dataLength) {
        long expected = 0;
        Entry previous = null;
        for (Entry e : inFileOrder()) {
            if (e.end() > dataLength) {
                throw new ModelFormatException(file, "tensor '" + e.name() + "' has data_offsets ["
                        + e.begin() + ", " + e.end() + "] beyond the " + dataLength
                        + " data bytes in the file (truncated file or corrupt header)");
            }
            if (e.begin() < expected) {
                throw new ModelFormatException(file, "tensor '" + e.name() + "' [" + e.begin() + ", "
                        + e.end() + ") overlaps tensor '" + previous.name() + "' [" + previous.begin()
                        + ", " + previous.end() + ")");
            }
            if (e.begin() > expected) {
                throw new ModelFormatException(file, "bytes [" + expected + ", " + e.begin()
                        + ") belong to no tensor (before tensor '" + e.name() + "')");
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataLength) {
            throw new ModelFormatException(file, (dataLength - expected) + " bytes after the last tensor"
                    + " belong to no tensor (data section is " + dataLength + " bytes)");
        }
    }

    /** The header as written: JSON padded with spaces to a multiple of 8 bytes, as HF's writer does. */
    byte[] toBytes() {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        for (Entry e : tensors.values()) {
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            var shape = t.putArray("shape");
            for (long d : e.shape()) shape.add(d);
            t.putArray("data_offsets").add(e.begin()).add(e.end());
        }
        byte[] raw = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }
}
