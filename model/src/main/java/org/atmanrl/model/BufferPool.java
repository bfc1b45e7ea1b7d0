package org.atmanrl.model;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The passes' intermediate arrays, reused instead of allocated afresh (docs/design.md 6.1,
 * "Reused buffers"). ND4J zero-fills every new array, and the kernel maps a large one page by page
 * and unmaps it when it is freed: measured on the mid bench shape, over half of a training step
 * (docs/measurements.md, "Where the mid training step's time goes"). A pass asks for the same
 * shapes layer after layer and step after step, so a freed buffer of the same type and length is
 * handed out again, uninitialised and already mapped.
 *
 * <p>Per thread, as the models are (one model per thread). {@link #take} gives a c-order array that
 * the caller must give back through {@link Arrays2#release}, never {@code close()}; an array that
 * leaves the model (a result a caller owns) must not come from here. Memory: what the pool holds,
 * in use and free, never exceeds the most this thread has had in use at once, because a miss first
 * closes the longest-unused free buffers; so the pool moves no peak, it only keeps the peak's
 * memory mapped between passes. Hand-written: ND4J's workspaces reset a whole scope at once and
 * would hold every intermediate of a pass until its end, which the passes' early frees avoid.
 */
public final class BufferPool {
    private static final ThreadLocal<BufferPool> POOLS = ThreadLocal.withInitial(BufferPool::new);
    private static volatile boolean enabled = true;

    private record Key(DataType type, long length) {}

    /** A pooled buffer and the array that owns its memory (closed when the buffer is evicted). */
    private record Block(Key key, INDArray owner, long bytes) {}

    private final Map<INDArray, Block> inUse = new IdentityHashMap<>();
    /** Every block's buffer, in use or free: such memory is the pool's, never closed by a release. */
    private final Map<DataBuffer, Block> owned = new IdentityHashMap<>();
    private final Map<Key, ArrayDeque<Block>> free = new HashMap<>();
    /** Free blocks, least recently given back first: the eviction order. */
    private final ArrayDeque<Block> freeOrder = new ArrayDeque<>();
    private long inUseBytes, freeBytes, peakInUseBytes, allocations;

    private BufferPool() {}

    /**
     * Whether passes reuse buffers (default true). Off, {@link #take} allocates every array and
     * {@link Arrays2#release} closes it, as before the pool: for benchmarks and the test that the
     * pool changes no bit. Switch it only between passes.
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    public static boolean enabled() {
        return enabled;
    }

    /** An uninitialised c-order array of {@code shape}; give it back with {@link Arrays2#release}. */
    static INDArray take(DataType type, long... shape) {
        if (!enabled) {
            return Nd4j.createUninitialized(type, shape);
        }
        return POOLS.get().takeHere(type, shape);
    }

    /** {@link #take} with {@code like}'s type and shape. */
    static INDArray takeLike(INDArray like) {
        return take(like.dataType(), like.shape());
    }

    /**
     * Gives {@code a} back if this thread's pool handed it out; true also when its memory is the
     * pool's anyway (released twice, or a view of a pooled array), so that the caller does not close it.
     */
    static boolean giveBack(INDArray a) {
        BufferPool pool = POOLS.get();
        return !pool.owned.isEmpty() && pool.giveBackHere(a);
    }

    /** Bytes of this thread's arrays taken and not yet given back (0 after every complete pass). */
    public static long inUseBytes() {
        return POOLS.get().inUseBytes;
    }

    /** How many new buffers this thread's pool has allocated: its misses. */
    static long allocations() {
        return POOLS.get().allocations;
    }

    /** Bytes this thread's pool holds free for reuse. */
    public static long freeBytes() {
        return POOLS.get().freeBytes;
    }

    /** Closes this thread's free buffers: memory back to the system (arrays in use are not touched). */
    public static void trim() {
        BufferPool pool = POOLS.get();
        while (!pool.freeOrder.isEmpty()) {
            pool.evictOldest();
        }
    }

    private INDArray takeHere(DataType type, long[] shape) {
        long length = 1;
        for (long s : shape) length *= s;
        Key key = new Key(type, length);
        ArrayDeque<Block> same = free.get(key);
        Block block = same == null ? null : same.pollLast(); // the most recently given back: warmest in cache
        if (block != null) {
            freeOrder.removeLastOccurrence(block);
            freeBytes -= block.bytes();
        } else {
            long bytes = length * type.width();
            peakInUseBytes = Math.max(peakInUseBytes, inUseBytes + bytes);
            while (!freeOrder.isEmpty() && inUseBytes + bytes + freeBytes > peakInUseBytes) {
                evictOldest();
            }
            block = new Block(key, Nd4j.createUninitialized(type, length), bytes);
            allocations++;
            owned.put(block.owner().data(), block);
        }
        DataBuffer data = block.owner().data();
        INDArray a = Nd4j.create(data, shape);
        inUse.put(a, block);
        inUseBytes += block.bytes();
        return a;
    }

    private boolean giveBackHere(INDArray a) {
        Block block = inUse.remove(a);
        if (block == null) {
            return !a.wasClosed() && owned.containsKey(a.data());
        }
        inUseBytes -= block.bytes();
        if (block.owner().wasClosed()) {
            owned.remove(block.owner().data()); // closed directly, against the rule above: never hand it out
            return true;
        }
        free.computeIfAbsent(block.key(), k -> new ArrayDeque<>()).addLast(block);
        freeOrder.addLast(block);
        freeBytes += block.bytes();
        return true;
    }

    private void evictOldest() {
        Block oldest = freeOrder.pollFirst();
        ArrayDeque<Block> same = free.get(oldest.key());
        same.removeFirstOccurrence(oldest);
        if (same.isEmpty()) {
            free.remove(oldest.key());
        }
        freeBytes -= oldest.bytes();
        owned.remove(oldest.owner().data());
        oldest.owner().close();
    }
}
