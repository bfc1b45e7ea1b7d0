package org.atmanrl.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
        Map<String, SafetensorsHeader.Entry> entries = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, INDArray> t : tensors.entrySet()) {
            long size = t.getValue().length() * dtype.bytes();
            entries.put(t.getKey(), new SafetensorsHeader.Entry(t.getKey(), dtype, t.getValue().shape(),
                    offset, offset + size));
            offset += size;
        }
        byte[] header = new SafetensorsHeader(entries, metadata).toBytes();
        byte[] bytes = new byte[SafetensorsReader.CHUNK * 4];
        float[] floats = new float[SafetensorsReader.CHUNK];
        try (FSDataOutputStream out = fs.create(path, false)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
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
                        for (int i = 0; i < m; i++) {
                            if (!Float.isFinite(floats[i])) {
                                throw new IllegalArgumentException("tensor '" + t.getKey() + "' holds "
                                        + floats[i] + " at element " + (done + i) + "; not saving a"
                                        + " model with non-finite weights");
                            }
                        }
                        dtype.encode(floats, m, bytes);
                        out.write(bytes, 0, m * dtype.bytes());
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
}
