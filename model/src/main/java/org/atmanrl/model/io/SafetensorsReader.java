package org.atmanrl.model.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads tensors from one {@code .safetensors} file through Hadoop {@link FileSystem}.
 *
 * <p>Written by hand: no Java 17 library on Maven Central reads safetensors through Hadoop
 * streams into off-heap arrays (DJL's reader needs its own NDManager and a local file). Tensor
 * bytes are streamed with positioned reads through one small heap buffer and converted straight
 * into the array's off-heap memory, so loading a model holds only a few MB on the heap whatever
 * its size. Every length from the file is checked against the file's size before allocation.
 */
public final class SafetensorsReader implements AutoCloseable {
    /** Elements converted per chunk: 1M floats keeps the heap buffers at 4 MB + 4 MB. */
    static final int CHUNK = 1 << 20;

    private final String file;
    private final FSDataInputStream in;
    private final SafetensorsHeader header;
    private final long dataStart;
    private byte[] bytes;
    private float[] floats;

    private SafetensorsReader(String file, FSDataInputStream in, SafetensorsHeader header, long dataStart) {
        this.file = file;
        this.in = in;
        this.header = header;
        this.dataStart = dataStart;
    }

    /** Opens {@code path} and reads and validates its header; the tensor data is read on demand. */
    public static SafetensorsReader open(FileSystem fs, Path path) throws IOException {
        String file = path.toString();
        long length = BoundedInput.regularFile(fs, path).getLen();
        if (length < 8) {
            throw new ModelFormatException(file, "is " + length + " bytes, shorter than the 8-byte header"
                    + " length that starts a safetensors file (truncated?)");
        }
        FSDataInputStream in = fs.open(path);
        try {
            byte[] lengthField = new byte[8];
            in.readFully(0, lengthField);
            long headerLength = ByteBuffer.wrap(lengthField).order(ByteOrder.LITTLE_ENDIAN).getLong();
            int n = SafetensorsHeader.checkHeaderLength(file, headerLength, length);
            byte[] json = new byte[n];
            in.readFully(8, json);
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, length - 8 - n);
            return new SafetensorsReader(file, in, header, 8L + n);
        } catch (RuntimeException | IOException e) {
            in.close();
            throw e;
        }
    }

    public SafetensorsHeader header() {
        return header;
    }

    public String file() {
        return file;
    }

    /**
     * The tensor as a new row-major FLOAT array of its shape. A NaN or infinity in a weight is an
     * error here: a model that holds one cannot be trained or scored.
     */
    public INDArray read(SafetensorsHeader.Entry e) throws IOException {
        long n = e.elements();
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, e.shape(), 'c');
        try {
            if (bytes == null) {
                bytes = new byte[CHUNK * 4];
                floats = new float[CHUNK];
            }
            for (long done = 0; done < n; ) {
                int m = (int) Math.min(CHUNK, n - done);
                try {
                    in.readFully(dataStart + e.begin() + done * e.dtype().bytes(), bytes, 0, m * e.dtype().bytes());
                } catch (EOFException eof) {
                    throw new ModelFormatException(file, "ended while reading tensor '" + e.name()
                            + "' (file changed or truncated while loading)");
                }
                e.dtype().decode(bytes, m, floats);
                for (int i = 0; i < m; i++) {
                    if (!Float.isFinite(floats[i])) {
                        throw new ModelFormatException(file, "tensor '" + e.name() + "' holds " + floats[i]
                                + " at element " + (done + i) + "; weights must be finite");
                    }
                }
                OffHeapFloats.put(out, done, floats, m);
                done += m;
            }
            return out;
        } catch (RuntimeException | IOException ex) {
            out.close();
            throw ex;
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
