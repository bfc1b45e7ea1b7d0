package org.atmanrl.executor.collective;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.atmanrl.model.NamedArrays;

/**
 * Barrier mode's collectives over a {@link Transport} (docs/design.md 3.5), on named float tensors
 * split by {@link Shards} into one shard per rank.
 *
 * <p>Every operation runs P − 1 rounds; in round {@code r} rank {@code k} sends to rank
 * {@code (k + r) mod P} and receives from rank {@code (k − r) mod P} at the same time, so every
 * link is busy and no two ranks wait on each other. A shard travels as its tensors' values
 * concatenated in tensor order, IEEE binary32 little-endian, cut into frames of at most
 * {@code maxFrameBytes} (the last one shorter); the receiver knows every frame's length from the
 * split alone. Received values are kept per sending rank and added only once all are in, in rank
 * order, so the result never depends on the order in which bytes arrive.
 *
 * <p>Cost per rank for one {@link #reduceScatter} and one {@link #allGather}: it sends shard
 * {@code j} to each rank {@code j ≠ k} and then its own shard to each of them, so it sends (and
 * receives) {@code Σ_{j≠k} S_j + (P − 1) S_k} payload bytes, {@code 2 (P − 1)/P · M} when the
 * model's M bytes split evenly, plus {@link TcpTransport#HEADER_BYTES} per frame.
 */
public final class Collective {
    /** Frames of at most this many bytes by default: bounds the staging buffers, not the shards. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;

    private final Transport transport;
    private final Shards shards;
    private final int maxFrameBytes;
    private final int rank, size;
    private ByteBuffer sendBuffer, receiveBuffer;

    public Collective(Transport transport, Shards shards) {
        this(transport, shards, DEFAULT_MAX_FRAME_BYTES);
    }

    /** {@code maxFrameBytes} must be a positive multiple of 4 (a float never straddles two frames). */
    public Collective(Transport transport, Shards shards, int maxFrameBytes) {
        if (shards.count() != transport.size()) {
            throw new IllegalArgumentException(shards.count() + " shards for " + transport.size() + " ranks");
        }
        if (maxFrameBytes < 4 || maxFrameBytes % 4 != 0) {
            throw new IllegalArgumentException("maxFrameBytes must be a positive multiple of 4, not " + maxFrameBytes);
        }
        this.transport = transport;
        this.shards = shards;
        this.maxFrameBytes = maxFrameBytes;
        this.rank = transport.rank();
        this.size = transport.size();
    }

    /** The frames that carry {@code bytes} bytes: none for an empty shard. */
    public static long frames(long bytes, int maxFrameBytes) {
        return (bytes + maxFrameBytes - 1) / maxFrameBytes;
    }

    /**
     * Rank k's shard k of the sum of every rank's {@code local} (same layout on every rank), added
     * element-wise as the left fold {@code ((g_0 + g_1) + g_2) + …} in rank order: the bits of
     * {@code g_0.plus(g_1).plus(g_2)…} restricted to shard k.
     */
    public NamedArrays reduceScatter(NamedArrays local) throws IOException {
        shards.requireLayout(local);
        float[][][] received = new float[size][][];
        for (int r = 1; r < size; r++) {
            int to = (rank + r) % size, from = (rank - r + size) % size;
            received[from] = newShard(rank);
            exchange(to, shardValues(local, to), shards.bytes(to), from, received[from], shards.bytes(rank));
        }
        received[rank] = shardValues(local, rank);
        float[][] sum = new float[received[0].length][];
        for (int t = 0; t < sum.length; t++) sum[t] = received[0][t].clone();
        for (int j = 1; j < size; j++) {
            for (int t = 0; t < sum.length; t++) {
                float[] s = sum[t], b = received[j][t];
                for (int i = 0; i < s.length; i++) s[i] = s[i] + b[i];
            }
        }
        return shards.layout(rank, sum);
    }

    /**
     * The whole model from every rank's shard: {@code own} is this rank's shard (the layout of
     * shard {@code rank}); the result shares its arrays and holds the others as received.
     */
    public NamedArrays allGather(NamedArrays own) throws IOException {
        float[][] mine = new float[own.size()][];
        for (int t = 0; t < mine.length; t++) mine[t] = own.values(t);
        shards.layout(rank, mine).requireSameLayout(own);
        float[][][] all = new float[size][][];
        all[rank] = mine;
        for (int r = 1; r < size; r++) {
            int to = (rank + r) % size, from = (rank - r + size) % size;
            all[from] = newShard(from);
            exchange(to, mine, shards.bytes(rank), from, all[from], shards.bytes(from));
        }
        return shards.assemble(all);
    }

    /**
     * The sum of squares over every rank's shard: {@code ownShardSumOfSquares} is this rank's
     * (its shard's {@link NamedArrays#sumOfSquares}); every rank gets the same value, the ranks'
     * sums added in rank order ({@link Shards#combine}), as sync mode computes it
     * ({@link Shards#sumOfSquares}).
     */
    public double sumOfSquares(double ownShardSumOfSquares) throws IOException {
        double[] all = new double[size];
        all[rank] = ownShardSumOfSquares;
        ByteBuffer out = ByteBuffer.allocate(8), in = ByteBuffer.allocate(8);
        for (int r = 1; r < size; r++) {
            int to = (rank + r) % size, from = (rank - r + size) % size;
            out.clear();
            out.putDouble(ownShardSumOfSquares).flip();
            in.clear();
            transport.exchange(to, out, from, in);
            all[from] = in.flip().getDouble();
        }
        return Shards.combine(all);
    }

    /**
     * Every rank's {@code own} bytes, in rank order: a small exchange (barrier mode's per-step counts
     * and metrics) that needs no round trip through Spark's driver. Each length travels first, as a
     * 4-byte frame, and one above {@code maxBytes} is refused before anything is allocated for it.
     */
    public byte[][] allGatherBytes(byte[] own, int maxBytes) throws IOException {
        byte[][] all = new byte[size][];
        all[rank] = own;
        ByteBuffer out = ByteBuffer.allocate(4), in = ByteBuffer.allocate(4);
        for (int r = 1; r < size; r++) {
            int to = (rank + r) % size, from = (rank - r + size) % size;
            out.clear();
            out.putInt(own.length).flip();
            in.clear();
            transport.exchange(to, out, from, in);
            int n = in.flip().getInt();
            if (n < 0 || n > maxBytes) {
                transport.close(); // as any fault: the other ranks fail fast
                throw new PeerException(from, "rank " + rank + ": rank " + from + " announced " + n
                        + " bytes, outside 0.." + maxBytes);
            }
            all[from] = new byte[n];
            transport.exchange(to, own.length == 0 ? null : ByteBuffer.wrap(own), from,
                    n == 0 ? null : ByteBuffer.wrap(all[from]));
        }
        return all;
    }

    /** Sends {@code sendValues} (sendBytes in all) to {@code to} while receiving into {@code receiveValues}. */
    private void exchange(int to, float[][] sendValues, long sendBytes, int from, float[][] receiveValues,
            long receiveBytes) throws IOException {
        long sendFrames = frames(sendBytes, maxFrameBytes), receiveFrames = frames(receiveBytes, maxFrameBytes);
        Cursor out = new Cursor(sendValues), in = new Cursor(receiveValues);
        long sendLeft = sendBytes, receiveLeft = receiveBytes;
        for (long f = 0; f < Math.max(sendFrames, receiveFrames); f++) {
            ByteBuffer src = null, dst = null;
            if (f < sendFrames) {
                int n = (int) Math.min(maxFrameBytes, sendLeft);
                src = buffer(true, n);
                out.move(src, n / 4, true);
                src.flip();
                sendLeft -= n;
            }
            if (f < receiveFrames) {
                int n = (int) Math.min(maxFrameBytes, receiveLeft);
                dst = buffer(false, n);
                receiveLeft -= n;
            }
            transport.exchange(to, src, from, dst);
            if (dst != null) in.move(dst.flip(), dst.remaining() / 4, false);
        }
    }

    /** A staging buffer of exactly {@code n} bytes remaining (allocated once, at most maxFrameBytes). */
    private ByteBuffer buffer(boolean send, int n) {
        ByteBuffer b = send ? sendBuffer : receiveBuffer;
        if (b == null || b.capacity() < n) {
            b = ByteBuffer.allocateDirect(Math.max(n, Math.min(maxFrameBytes, 1 << 16))).order(ByteOrder.LITTLE_ENDIAN);
            if (send) sendBuffer = b;
            else receiveBuffer = b;
        }
        b.clear().limit(n);
        return b;
    }

    private float[][] shardValues(NamedArrays full, int k) {
        float[][] v = new float[shards.endTensor(k) - shards.firstTensor(k)][];
        for (int i = 0; i < v.length; i++) v[i] = full.values(shards.firstTensor(k) + i);
        return v;
    }

    private float[][] newShard(int k) {
        float[][] v = new float[shards.endTensor(k) - shards.firstTensor(k)][];
        for (int i = 0; i < v.length; i++) v[i] = new float[shards.elementsOf(shards.firstTensor(k) + i)];
        return v;
    }

    /** A position in a shard's tensors, moving floats between them and frames. */
    private static final class Cursor {
        private final float[][] values;
        private int tensor, offset;

        Cursor(float[][] values) {
            this.values = values;
            advance(0); // past empty tensors
        }

        /** Copies the next {@code count} floats into {@code b} (advancing it), or out of {@code b}. */
        void move(ByteBuffer b, int count, boolean intoBuffer) {
            java.nio.FloatBuffer f = b.asFloatBuffer();
            while (count > 0) {
                float[] a = values[tensor];
                int n = Math.min(count, a.length - offset);
                if (intoBuffer) f.put(a, offset, n);
                else f.get(a, offset, n);
                advance(n);
                count -= n;
            }
            if (intoBuffer) b.position(b.position() + f.position() * 4);
        }

        private void advance(int n) {
            offset += n;
            while (tensor < values.length && offset == values[tensor].length) {
                tensor++;
                offset = 0;
            }
        }
    }
}
