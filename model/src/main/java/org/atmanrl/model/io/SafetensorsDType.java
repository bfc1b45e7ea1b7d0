package org.atmanrl.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Set;

/** The safetensors element types this project reads (all three) and writes (F32, BF16). */
public enum SafetensorsDType {
    F32(4, true),
    BF16(2, true),
    F16(2, false);

    /** Types the format defines that a Llama checkpoint of ours never holds. */
    private static final Set<String> OTHER_FORMAT_TYPES = Set.of("F64", "I64", "I32", "I16", "I8",
            "U64", "U32", "U16", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2",
            "F4", "C64");

    private final int bytes;
    private final boolean writable;

    SafetensorsDType(int bytes, boolean writable) {
        this.bytes = bytes;
        this.writable = writable;
    }

    public int bytes() {
        return bytes;
    }

    public boolean writable() {
        return writable;
    }

    /** The header's {@code dtype} string, or a {@link ModelFormatException} saying what is allowed. */
    static SafetensorsDType parse(String file, String tensor, String name) {
        for (SafetensorsDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        String fault = OTHER_FORMAT_TYPES.contains(name) ? "has dtype " + name + ", which a Llama checkpoint"
                + " here cannot use" : "has unknown dtype '" + name + "'";
        throw new ModelFormatException(file, "tensor '" + tensor + "' " + fault + "; supported: F32, BF16, F16");
    }

    /** Decodes {@code n} little-endian elements from {@code src} into {@code dst[0..n)}. */
    void decode(byte[] src, int n, float[] dst) {
        ByteBuffer in = ByteBuffer.wrap(src, 0, n * bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> in.asFloatBuffer().get(dst, 0, n);
            case BF16 -> {
                ShortBuffer s = in.asShortBuffer();
                for (int i = 0; i < n; i++) dst[i] = HalfFloats.bf16ToFloat(s.get(i));
            }
            case F16 -> {
                ShortBuffer s = in.asShortBuffer();
                for (int i = 0; i < n; i++) dst[i] = HalfFloats.f16ToFloat(s.get(i));
            }
        }
    }

    /** Encodes {@code src[0..n)} as little-endian elements into {@code dst}. */
    void encode(float[] src, int n, byte[] dst) {
        ByteBuffer out = ByteBuffer.wrap(dst, 0, n * bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> {
                FloatBuffer f = out.asFloatBuffer();
                f.put(src, 0, n);
            }
            case BF16 -> {
                ShortBuffer s = out.asShortBuffer();
                for (int i = 0; i < n; i++) s.put(i, HalfFloats.floatToBf16(src[i]));
            }
            case F16 -> throw new UnsupportedOperationException("F16 is read-only here; write F32 or BF16");
        }
    }

    /** The {@code torch_dtype} that config.json records for weights stored in this type. */
    public String torchDtype() {
        return switch (this) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
        };
    }
}
