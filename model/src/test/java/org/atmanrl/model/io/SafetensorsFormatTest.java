package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The reader and writer against files built by hand from the format's definition. */
class SafetensorsFormatTest {
    @TempDir
    java.nio.file.Path tmp;

    private FileSystem fs() {
        return HadoopFiles.fileSystem(new Path(tmp.toUri()), new Configuration());
    }

    @Test
    void readsEachDtypeFromHandBuiltBytes() throws Exception {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[4,12]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[12,20]},"
                + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[20,24]}}";
        byte[] data = SafetensorsFiles.concat(
                SafetensorsFiles.u16(0x3f80, 0xc049),                 // 1.0, -3.140625
                SafetensorsFiles.f32(0.5f, -2f),
                SafetensorsFiles.u16(0x3c00, 0x7bff, 0x0001, 0x8400), // 1, 65504, 2^-24, -2^-14
                SafetensorsFiles.f32(7f));
        java.nio.file.Path file = tmp.resolve("x.safetensors");
        SafetensorsFiles.write(file, header, data);
        try (SafetensorsReader r = SafetensorsReader.open(fs(), new Path(file.toUri()))) {
            assertEquals(Map.of("format", "pt"), r.header().metadata());
            var t = r.header().tensors();
            assertArrayEquals(new float[] {1f, -3.140625f}, r.read(t.get("b")).toFloatVector());
            INDArray a = r.read(t.get("a"));
            assertArrayEquals(new long[] {1, 2}, a.shape());
            assertArrayEquals(new float[] {0.5f, -2f}, a.data().asFloat());
            assertArrayEquals(new float[] {1f, 65504f, 0x1p-24f, -0x1p-14f}, r.read(t.get("h")).toFloatVector());
            INDArray s = r.read(t.get("s"));
            assertEquals(0, s.rank());
            assertEquals(7f, s.getFloat(0));
        }
    }

    /** A file written by the reference implementation (see make_reference.py beside it). */
    @Test
    void readsAFileWrittenByTheReferenceLibrary() throws Exception {
        java.nio.file.Path file = tmp.resolve("ref.safetensors");
        try (var in = getClass().getResourceAsStream("/safetensors/written-by-safetensors-0.8.0.safetensors")) {
            Files.copy(in, file);
        }
        try (SafetensorsReader r = SafetensorsReader.open(fs(), new Path(file.toUri()))) {
            assertEquals(Map.of("format", "pt", "writer", "safetensors 0.8.0"), r.header().metadata());
            var t = r.header().tensors();
            INDArray f32 = r.read(t.get("model.f32"));
            assertArrayEquals(new long[] {2, 3}, f32.shape());
            assertArrayEquals(new float[] {0.5f, -2f, 3.25f, 1e-3f, -0f, 65504f}, f32.data().asFloat());
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f32.data().asFloat()[4]));
            assertArrayEquals(new float[] {1f, -2.5f, 0x1p-14f, 0x1p-24f}, r.read(t.get("model.f16")).toFloatVector());
            assertArrayEquals(new float[] {1f, -3.140625f, Float.intBitsToFloat(0x00010000), Float.intBitsToFloat(0x7f7f0000)},
                    r.read(t.get("model.bf16")).data().asFloat());
        }
    }

    @Test
    void writtenFileFollowsTheLayoutByteForByte() throws Exception {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("w", Nd4j.createFromArray(new float[][] {{1f, 2f}, {3f, -1.01171875f}}));
        tensors.put("v", Nd4j.createFromArray(new float[] {0.1f}));
        java.nio.file.Path file = tmp.resolve("w.safetensors");
        SafetensorsWriter.write(fs(), new Path(file.toUri()), tensors, SafetensorsDType.BF16, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"BF16\",\"shape\":[2,2],"
                + "\"data_offsets\":[0,8]},\"v\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]}}",
                header.stripTrailing());
        byte[] data = java.util.Arrays.copyOfRange(bytes, 8 + (int) n, bytes.length);
        // -1.01171875 lies halfway between bf16 0xbf81 and 0xbf82 and rounds to the even one, 0xbf82;
        // 0.1f = 0x3dcccccd rounds up to 0x3dcd.
        assertArrayEquals(SafetensorsFiles.u16(0x3f80, 0x4000, 0x4040, 0xbf82, 0x3dcd), data);
    }
}
