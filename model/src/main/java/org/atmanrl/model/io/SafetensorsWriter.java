package org.atmanrl.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes tensors as one {@code .safetensors} file through Hadoop {@link FileSystem}: header padded
 * to 8 bytes, tensors back to back in the given order, little-endian. Hand-written for the reason
 * given in {@link SafetensorsReader}; data is streamed out in chunks, never copied whole.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    /** Bytes the tensors take in the data section when stored as {@code dtype}. */
    public static long dataBytes(Map<String, INDArray> tensors, SafetensorsDType dtype) {
        return tensors.values().stream().mapToLong(a -> a.length() * dtype.bytes()).sum();
    }

    /**
     * Writes {@code tensors} (any float type; converted to {@code dtype}) to a new file; fails if
     * the file exists. The caller makes the write atomic by writing into a temporary directory.
     */
    public static void write(FileSystem fs, Path path, Map<String, INDArray> tensors,
                             SafetensorsDType dtype, Map<String, String> metadata) throws IOException {
        if (!dtype.writable()) {
            throw new IllegalArgumentException("cannot write " + dtype + "; write F32 or BF16");
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((name, t) -> shapes.put(name, t.shape()));
        byte[] bytes = new byte[SafetensorsReader.CHUNK * 4];
        float[] floats = new float[SafetensorsReader.CHUNK];
        try (FSDataOutputStream out = fs.create(path, false)) {
            writeHeader(out, shapes, dtype, metadata);
            for (Map.Entry<String, INDArray> t : tensors.entrySet()) {
                INDArray value = t.getValue();
                INDArray dense = value.dataType() == DataType.FLOAT ? value : value.castTo(DataType.FLOAT);
                if (dense.isView() || dense.ordering() != 'c') {
                    dense = dense.dup('c');
                }
                try {
                    long n = dense.length();
                    for (long done = 0; done < n; ) {
                        int m = (int) Math.min(SafetensorsReader.CHUNK, n - done);
                        OffHeapFloats.get(dense, done, floats, m);
                        writeChunk(out, t.getKey(), done, floats, m, dtype, bytes);
                        done += m;
                    }
                } finally {
                    if (dense != value) {
                        dense.close();
                    }
                }
            }
        }
    }

    /**
     * Where {@link #write(FileSystem, Path, Map, TensorSource, SafetensorsDType, Map)} takes a
     * tensor's values from: called for each tensor in the order of the shapes map, chunk after
     * chunk from element 0, so a source may draw its values as it goes (a random initialisation)
     * instead of holding the tensor.
     */
    public interface TensorSource {
        /** Fills {@code into[0..count)} with elements {@code offset..offset+count} of tensor {@code name}, row-major. */
        void fill(String name, long offset, float[] into, int count);
    }

    /**
     * Writes tensors of the given shapes whose values come from {@code source} one chunk at a time:
     * memory beyond the two chunk buffers stays constant whatever the tensors' sizes. Same file,
     * byte for byte, as {@link #write(FileSystem, Path, Map, SafetensorsDType, Map)} of arrays
     * holding those values. Fails if the file exists or a value is not finite.
     */
    public static void write(FileSystem fs, Path path, Map<String, long[]> shapes, TensorSource source,
                             SafetensorsDType dtype, Map<String, String> metadata) throws IOException {
        if (!dtype.writable()) {
            throw new IllegalArgumentException("cannot write " + dtype + "; write F32 or BF16");
        }
        byte[] bytes = new byte[SafetensorsReader.CHUNK * 4];
        float[] floats = new float[SafetensorsReader.CHUNK];
        try (FSDataOutputStream out = fs.create(path, false)) {
            writeHeader(out, shapes, dtype, metadata);
            for (Map.Entry<String, long[]> t : shapes.entrySet()) {
                long n = 1;
                for (long d : t.getValue()) n *= d;
                for (long done = 0; done < n; ) {
                    int m = (int) Math.min(SafetensorsReader.CHUNK, n - done);
                    source.fill(t.getKey(), done, floats, m);
                    writeChunk(out, t.getKey(), done, floats, m, dtype, bytes);
                    done += m;
                }
            }
        }
    }

    /**
     * Writes row-major heap arrays as F32, each with its shape, to a new file: for state that
     * lives on the heap (optimizer moments), which would otherwise be copied off-heap whole
     * just to be written. Fails if the file exists or a value is not finite.
     */
    public static void writeF32(FileSystem fs, Path path, Map<String, long[]> shapes,
                                Map<String, float[]> values, Map<String, String> metadata) throws IOException {
        if (!shapes.keySet().equals(values.keySet())) {
            throw new IllegalArgumentException("shapes for " + shapes.keySet() + " but values for " + values.keySet());
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            if (n != values.get(e.getKey()).length) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(e.getValue()) + " but " + values.get(e.getKey()).length + " values");
            }
        }
        SafetensorsDType dtype = SafetensorsDType.F32;
        byte[] bytes = new byte[SafetensorsReader.CHUNK * 4];
        float[] chunk = new float[SafetensorsReader.CHUNK];
        try (FSDataOutputStream out = fs.create(path, false)) {
            writeHeader(out, shapes, dtype, metadata);
            for (String name : shapes.keySet()) {
                float[] v = values.get(name);
                for (int done = 0; done < v.length; ) {
                    int m = Math.min(SafetensorsReader.CHUNK, v.length - done);
                    System.arraycopy(v, done, chunk, 0, m);
                    writeChunk(out, name, done, chunk, m, dtype, bytes);
                    done += m;
                }
            }
        }
    }

    /** The 8-byte length and the header: tensors back to back in the map's order. */
    private static void writeHeader(FSDataOutputStream out, Map<String, long[]> shapes, SafetensorsDType dtype,
                                    Map<String, String> metadata) throws IOException {
        Map<String, SafetensorsHeader.Entry> entries = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, long[]> t : shapes.entrySet()) {
            long n = 1;
            for (long d : t.getValue()) n *= d;
            long size = n * dtype.bytes();
            entries.put(t.getKey(), new SafetensorsHeader.Entry(t.getKey(), dtype, t.getValue(), offset, offset + size));
            offset += size;
        }
        byte[] header = new SafetensorsHeader(entries, metadata).toBytes();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.write(header);
    }

    /**
     * Encodes and writes {@code floats[0..m)}, elements {@code done..done+m} of a tensor. A
     * non-finite value is refused: the reader rejects it, so the file could never be loaded.
     */
    private static void writeChunk(FSDataOutputStream out, String tensor, long done, float[] floats, int m,
                                   SafetensorsDType dtype, byte[] bytes) throws IOException {
        for (int i = 0; i < m; i++) {
            if (!Float.isFinite(floats[i])) {
                throw new IllegalArgumentException("tensor '" + tensor + "' holds " + floats[i] + " at element "
                        + (done + i) + "; not saving non-finite values");
            }
        }
        dtype.encode(floats, m, bytes);
        out.write(bytes, 0, m * dtype.bytes());
    }
}
