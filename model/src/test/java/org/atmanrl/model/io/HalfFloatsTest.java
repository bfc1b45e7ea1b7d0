package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The 16-bit conversions against ND4J's own casts (all 65536 bit patterns) and the rounding rule. */
class HalfFloatsTest {

    @Test
    void everyHalfMatchesNd4jCast() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocateDirect(2 * all.length).order(java.nio.ByteOrder.nativeOrder());
        raw.asShortBuffer().put(all);
        var half = Nd4j.create(Nd4j.createBuffer(raw, DataType.HALF, all.length), all.length);
        float[] viaNd4j = half.castTo(DataType.FLOAT).toFloatVector();
        for (int i = 0; i < all.length; i++) {
            float mine = HalfFloats.f16ToFloat(all[i]);
            if (Float.isNaN(viaNd4j[i])) {
                assertEquals(true, Float.isNaN(mine), "bits " + Integer.toHexString(i));
            } else {
                assertEquals(Float.floatToRawIntBits(viaNd4j[i]), Float.floatToRawIntBits(mine),
                        "bits " + Integer.toHexString(i));
            }
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(new java.util.SplittableRandom(i).nextInt());
            if (!Float.isFinite(x) || Math.abs(x) > 3e38f) continue;
            float expected = RoundTrips.nearestBf16(x);
            assertEquals(expected, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x)), 0f, "x=" + x);
        }
        assertEquals(1.0f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f808000))));
        assertEquals(Float.intBitsToFloat(0x3f820000), HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f818000))));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.MAX_VALUE)));
        assertEquals(true, Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001)))));
    }
}
