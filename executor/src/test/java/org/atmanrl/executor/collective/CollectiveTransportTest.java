package org.atmanrl.executor.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.atmanrl.model.NamedArrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Barrier mode's collectives over the TCP transport (docs/design.md 3.5): reduce-scatter then
 * all-gather gives the bits of sync mode's left fold in rank order, and costs exactly the bytes
 * of the stated cost model.
 */
class CollectiveTransportTest {
    private static final String RUN = "run-collective-test";

    /** Irregular tensors, one of them empty, so that shards are uneven and some straddle frames. */
    private static Map<String, long[]> irregular() {
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("embed", new long[] {37, 5});
        m.put("layers.0.attn.q", new long[] {16, 16});
        m.put("layers.0.norm", new long[] {16});
        m.put("layers.0.empty", new long[] {0, 4});
        m.put("layers.0.mlp.up", new long[] {16, 33});
        m.put("layers.1.attn.q", new long[] {16, 16});
        m.put("layers.1.norm", new long[] {1});
        m.put("head", new long[] {7, 41});
        return m;
    }

    /** Values spread over 2^-24 .. 2^24 in magnitude, signs mixed: float addition order shows in the bits. */
    private static NamedArrays random(Map<String, long[]> shapes, long seed) {
        Random rng = new Random(seed);
        String[] names = shapes.keySet().toArray(new String[0]);
        long[][] s = new long[names.length][];
        float[][] v = new float[names.length][];
        for (int i = 0; i < names.length; i++) {
            s[i] = shapes.get(names[i]);
            v[i] = new float[(int) NamedArrays.elements(s[i])];
            for (int j = 0; j < v[i].length; j++) {
                v[i][j] = (float) (rng.nextGaussian() * Math.scalb(1.0, rng.nextInt(49) - 24));
            }
        }
        return new NamedArrays(names, s, v);
    }

    private static int[] bits(NamedArrays a) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) for (float x : a.values(i)) out.add(Float.floatToRawIntBits(x));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @ParameterizedTest(name = "P={0}, frames of at most {1} bytes")
    @CsvSource({"2, 16777216", "3, 16777216", "4, 16777216", "2, 64", "3, 100", "4, 4"})
    void reduceScatterThenAllGatherIsTheLeftFoldInRankOrder(int p, int maxFrameBytes) throws Exception {
        Map<String, long[]> shapes = irregular();
        List<NamedArrays> grads = new ArrayList<>();
        for (int r = 0; r < p; r++) grads.add(random(shapes, 1000L * p + r));
        NamedArrays leftFold = grads.get(0);
        for (int r = 1; r < p; r++) leftFold = leftFold.plus(grads.get(r));
        NamedArrays reverseFold = grads.get(p - 1);
        for (int r = p - 2; r >= 0; r--) reverseFold = reverseFold.plus(grads.get(r));
        assertNotEquals(List.of(bits(leftFold)), List.of(bits(reverseFold)),
                "the data must make float addition order visible, or the test proves nothing");

        Shards shards = Shards.split(shapes, p);
        List<TcpTransport> ts = Ranks.connect(p, RUN, Ranks.key(), Ranks.timeouts(30_000, 30_000));
        try {
            record Out(NamedArrays full, double sumOfSquares, NamedArrays shard) {}
            List<Out> outs = Ranks.parallel(p, r -> () -> {
                Collective c = new Collective(ts.get(r), shards, maxFrameBytes);
                NamedArrays shard = c.reduceScatter(grads.get(r));
                double ss = c.sumOfSquares(shard.sumOfSquares());
                return new Out(c.allGather(shard), ss, shard);
            });
            for (int r = 0; r < p; r++) {
                Out o = outs.get(r);
                assertArrayEquals(bits(shards.slice(leftFold, r)), bits(o.shard()), "rank " + r + "'s reduced shard");
                assertArrayEquals(bits(leftFold), bits(o.full()), "rank " + r + "'s gathered model");
                assertEquals(leftFold.names(), o.full().names());
                assertEquals(Double.doubleToRawLongBits(shards.sumOfSquares(leftFold)),
                        Double.doubleToRawLongBits(o.sumOfSquares()), "rank " + r + "'s sum of squares");
            }
            assertEquals(leftFold.sumOfSquares(), outs.get(0).sumOfSquares(), 1e-12 * leftFold.sumOfSquares());
        } finally {
            Ranks.closeAll(ts);
        }
    }

    /**
     * The cost model: one reduce-scatter and one all-gather send, per rank, 2 (P − 1)/P · M payload
     * bytes plus a 12-byte header per frame, 2 (P − 1) · ceil((M/P) / F) frames with frames of at
     * most F bytes; and receive the same. Twelve equal tensors split evenly for P = 2, 3, 4.
     */
    @ParameterizedTest(name = "P={0}, frames of at most {1} bytes")
    @CsvSource({"2, 16777216", "3, 16777216", "4, 16777216", "2, 1024", "3, 1000", "4, 512"})
    void bytesOnTheWireFollowTheCostModel(int p, int maxFrameBytes) throws Exception {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) shapes.put("w" + i, new long[] {8, 16});
        long modelBytes = 12 * 8 * 16 * 4;
        Shards shards = Shards.split(shapes, p);
        for (int k = 0; k < p; k++) assertEquals(modelBytes / p, shards.bytes(k), "shard " + k + " of an even split");
        long shardBytes = modelBytes / p;
        long frames = 2L * (p - 1) * ((shardBytes + maxFrameBytes - 1) / maxFrameBytes);
        long expected = 2L * (p - 1) * modelBytes / p + TcpTransport.HEADER_BYTES * frames;

        List<TcpTransport> ts = Ranks.connect(p, RUN, Ranks.key(), Ranks.timeouts(30_000, 30_000));
        try {
            for (TcpTransport t : ts) assertEquals(0, t.bytesSent() + t.bytesReceived(), "handshakes are not counted");
            Ranks.parallel(p, r -> () -> {
                Collective c = new Collective(ts.get(r), shards, maxFrameBytes);
                return c.allGather(c.reduceScatter(random(shapes, r)));
            });
            for (int r = 0; r < p; r++) {
                assertEquals(expected, ts.get(r).bytesSent(), "rank " + r + " sent");
                assertEquals(expected, ts.get(r).bytesReceived(), "rank " + r + " received");
                assertEquals(frames, ts.get(r).framesReceived(), "rank " + r + "'s frames");
                assertTrue(ts.get(r).handshakeBytesSent() > 0);
            }
        } finally {
            Ranks.closeAll(ts);
        }
    }

    /** Barrier mode's per-step small results: every rank's bytes in rank order; a length over the bound refused. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void allGatherBytesGivesEveryRankEveryRanksBytesInRankOrder(int p) throws Exception {
        List<TcpTransport> ts = Ranks.connect(p, RUN, Ranks.key(), Ranks.timeouts(20_000, 20_000));
        try {
            Map<String, long[]> one = Map.of("t", new long[] {1});
            List<byte[][]> got = Ranks.parallel(p, r -> () -> new Collective(ts.get(r), Shards.split(one, p))
                    .allGatherBytes(new byte[r * 3], 16));
            for (byte[][] all : got) {
                assertEquals(p, all.length);
                for (int k = 0; k < p; k++) assertEquals(k * 3, all[k].length);
            }
            if (p > 1) {
                List<java.util.concurrent.Future<byte[][]>> f = Ranks.submit(p, r -> () -> new Collective(ts.get(r),
                        Shards.split(one, p)).allGatherBytes(new byte[r == 0 ? 17 : 1], 16));
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> f.get(1).get(60, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("announced 17 bytes, outside 0..16"),
                        e.getCause().getMessage());
            }
        } finally {
            Ranks.closeAll(ts);
        }
    }

    @Test
    void shardsAreContiguousRunsOfWholeTensorsSplitAtTheirMidpoints() {
        Map<String, long[]> even = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) even.put("w" + i, new long[] {3});
        for (int p : new int[] {1, 2, 3, 4, 6, 12}) {
            Shards s = Shards.split(even, p);
            for (int k = 0; k < p; k++) {
                assertEquals(k * 12 / p, s.firstTensor(k), "P=" + p + " shard " + k);
                assertEquals((k + 1) * 12 / p, s.endTensor(k), "P=" + p + " shard " + k);
            }
        }
        // a tensor larger than T/P spans the ranges of several shards: the ones it covers stay empty
        Map<String, long[]> skewed = new LinkedHashMap<>();
        skewed.put("a", new long[] {10});
        skewed.put("big", new long[] {80});
        skewed.put("c", new long[] {10});
        Shards s = Shards.split(skewed, 4); // midpoints 5, 50, 95 of 100: shards 0, 2, 3
        assertEquals(List.of(10L, 0L, 80L, 10L), List.of(s.elements(0), s.elements(1), s.elements(2), s.elements(3)));
        assertEquals("Shards[0: tensors 0..0 (10 values), 1: tensors 1..0 (0 values), 2: tensors 1..1 (80 values), "
                + "3: tensors 2..2 (10 values)]", s.toString());
        assertThrows(IllegalArgumentException.class, () -> Shards.split(skewed, 0));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void sumOfSquaresByShardsAgreesWithTheWholeSum(int p) {
        NamedArrays g = random(irregular(), 7);
        double bySh = Shards.split(g, p).sumOfSquares(g);
        assertEquals(g.sumOfSquares(), bySh, 1e-12 * g.sumOfSquares());
        if (p == 1) assertEquals(Double.doubleToRawLongBits(g.sumOfSquares()), Double.doubleToRawLongBits(bySh));
    }
}
