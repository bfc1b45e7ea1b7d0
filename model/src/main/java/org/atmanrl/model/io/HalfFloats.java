package org.atmanrl.model.io;

/**
 * The 16-bit float formats of checkpoints, to and from {@code float}. Java 17 has no
 * {@code Float.float16ToFloat} (it arrived in Java 20), hence these few lines by hand.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** bfloat16 is the top half of a float32: widening is exact. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * Round to nearest, ties to even, as PyTorch does (c10::BFloat16); NaN stays a quiet NaN and
     * values beyond bfloat16's range become infinities.
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** IEEE 754 binary16 to float32; every half value, subnormals included, is exact in float32. */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
