package org.atmanrl.model;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The passes' intermediate arrays, reused instead of allocated afresh (docs/design.md 6.1,
 * "Reused buffers"). ND4J zero-fills every new array, and the kernel maps a large one page by page
 * and unmaps it when it is freed: measured on the mid bench shape, over half of a training step
 * (docs/measurements.md, "Where the mid training step's time goes"). A pass asks for the same
 * shapes layer after layer and step after step, so a freed buffer is handed out again,
 * uninitialised and already mapped.
 *
 * <p>Best fit: a request takes the smallest free buffer of its type that holds it, as an array over
 * the buffer's first elements (c order, offset 0; {@link Arrays2#flatFromStart}). Exact lengths
 * alone made the mid training step miss 92 buffers (1.3 GB) every step: the shapes whose counts
 * peak in the backward evicted those the forward keeps, and the other way round (simulated from a
 * trace of the pool, docs/measurements.md, "Reused buffers").
 *
 * <p>Per thread, as the models are (one model per thread); at a task's end {@link #park} keeps the
 * pool for the next task on any thread. {@link #take} gives an array that the
 * caller must give back through {@link Arrays2#release}, never {@code close()}; an array that
 * leaves the model (a result a caller owns) must not come from here. Memory: what the pool holds, in
 * use and free, never exceeds the most this thread has asked for at once plus {@link #slackBytes} of it.
 * A miss first closes the longest-unused free buffers, and a larger buffer serves a request only
 * while the bytes its arrays in use leave unused stay within {@code SLACK} of that peak. The memory
 * plan counts the slack (docs/design.md 3.3). Hand-written: ND4J's workspaces reset a whole scope at
 * once and would hold every intermediate of a pass until its end, which the passes' early frees
 * avoid.
 */
public final class BufferPool {
    /**
     * The pool's memory beyond the peak asked for, as a fraction of it. A sixteenth already removed
     * every steady-state miss of the mid training step in the simulation; an eighth leaves room
     * for rows whose lengths change from step to step.
     */
    public static final double SLACK = 1.0 / 8;

    /**
     * The least room beyond the peak: at a small peak an eighth of it is too little for the
     * phases' different shapes. On the demo's task step with the mask network (a 133 MB peak: the
     * kept GRPO pass with the objective's pass on top) an eighth left every step allocating 76
     * buffers again, and saliency took 17% of the task instead of 12-13%; with the floor it
     * allocates none (docs/design.md 6.1, "Reused buffers"). Against the pass sizes of a 1B or
     * 3B model it is nothing.
     */
    public static final long MIN_SLACK_BYTES = 64L << 20;

    /** {@link #MIN_SLACK_BYTES}, or what a test set, so that the eighth can be tested at small sizes. */
    private static volatile long minSlackBytes = MIN_SLACK_BYTES;

    /** The pool's room beyond {@code peak} bytes asked for at once: {@link #SLACK} of it, at least {@link #MIN_SLACK_BYTES}. */
    public static long slackBytes(long peak) {
        return Math.max((long) (SLACK * peak), minSlackBytes);
    }

    /** Tests: the floor of {@link #slackBytes} ({@link #MIN_SLACK_BYTES} by default). */
    static void setMinSlackBytes(long bytes) {
        minSlackBytes = bytes;
    }

    /** Pools whose task ended, free buffers and all, for the next thread that needs one; warmest first. */
    private static final Deque<BufferPool> PARKED = new ConcurrentLinkedDeque<>();
    private static final AtomicLong ALLOCATIONS = new AtomicLong();
    private static final ThreadLocal<BufferPool> POOLS = ThreadLocal.withInitial(BufferPool::parkedOrNew);
    private static volatile boolean enabled = true;

    /** A pooled buffer and the array that owns its memory (closed when the buffer is evicted). */
    private record Block(DataType type, long length, INDArray owner, long bytes) {}

    /** An array handed out: its block and the bytes it asked for (at most the block's). */
    private record Lent(Block block, long bytes) {}

    private final Map<INDArray, Lent> inUse = new IdentityHashMap<>();
    /** Every block's buffer, in use or free: such memory is the pool's, never closed by a release. */
    private final Map<DataBuffer, Block> owned = new IdentityHashMap<>();
    /** Free blocks by type, then length; per length the most recently given back last. */
    private final Map<DataType, TreeMap<Long, ArrayDeque<Block>>> free = new EnumMap<>(DataType.class);
    /** Free blocks, least recently given back first: the eviction order. */
    private final ArrayDeque<Block> freeOrder = new ArrayDeque<>();
    /** Block bytes in use, the bytes asked for of them, and the most ever asked for at once. */
    private long blockBytesInUse, askedBytesInUse, peakAskedBytes;
    private long freeBytes, allocations;

    private BufferPool() {}

    /**
     * Whether passes reuse buffers (default true). Off, {@link #take} allocates every array and
     * {@link Arrays2#release} closes it, as before the pool: for benchmarks and the test that the
     * pool changes no bit. Switch it only between passes.
     */
    public static void setEnabled(boolean on) {
        enabled = on;
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
     * pool's anyway (an array released twice), so that the caller does not close it.
     */
    static boolean giveBack(INDArray a) {
        BufferPool pool = POOLS.get();
        return !pool.owned.isEmpty() && pool.giveBackHere(a);
    }

    /** Bytes of the blocks of this thread's arrays taken and not yet given back (0 after every complete pass). */
    static long inUseBytes() {
        return POOLS.get().blockBytesInUse;
    }

    /**
     * How many new buffers all pools have allocated since the JVM started: their misses, summed
     * over threads and parked pools. {@code bench --task-step} reports them per step.
     */
    public static long allocationsInAllPools() {
        return ALLOCATIONS.get();
    }

    /** How many new buffers this thread's pool has allocated: its misses. */
    static long allocations() {
        return POOLS.get().allocations;
    }

    /** Bytes this thread's pool holds free for reuse. */
    static long freeBytes() {
        return POOLS.get().freeBytes;
    }

    /** The most bytes this thread's arrays have asked for at once: what the bound is relative to. */
    static long peakAskedBytes() {
        return POOLS.get().peakAskedBytes;
    }

    private static BufferPool parkedOrNew() {
        BufferPool parked = PARKED.pollFirst();
        return parked != null ? parked : new BufferPool();
    }

    /**
     * Ends this thread's use of its pool at a task's end and keeps the pool, free buffers and all, for
     * the next task, on whichever thread runs it: Spark's task threads are pooled, so a buffer kept
     * per thread would sit idle on a thread that runs no task, while the next task on another thread
     * allocated (and zero-filled and mapped) every array again. So an executor holds at most as many
     * pools as it ran tasks at once, each within its bound, as the memory plan counts per task
     * (docs/design.md 3.3 and 6.1). A pool that still lends arrays (a task that failed mid-pass) is
     * not kept: its free buffers are closed and it is dropped.
     */
    public static void park() {
        BufferPool pool = POOLS.get();
        POOLS.remove();
        if (pool.inUse.isEmpty()) {
            PARKED.addFirst(pool);
        } else {
            pool.closeFree();
        }
    }

    /** Closes the free buffers of every parked pool and forgets them (tests; memory back to the system). */
    static void discardParked() {
        for (BufferPool p; (p = PARKED.pollFirst()) != null; ) {
            p.closeFree();
        }
    }

    /** Closes this thread's free buffers: memory back to the system (arrays in use are not touched). */
    public static void trim() {
        POOLS.get().closeFree();
    }

    private void closeFree() {
        while (!freeOrder.isEmpty()) {
            evictOldest();
        }
    }

    private INDArray takeHere(DataType type, long[] shape) {
        long length = 1;
        for (long s : shape) length *= s;
        long bytes = length * type.width();
        peakAskedBytes = Math.max(peakAskedBytes, askedBytesInUse + bytes);
        long slack = slackBytes(peakAskedBytes);
        Block block = bestFit(type, length, slack - (blockBytesInUse - askedBytesInUse));
        if (block != null) {
            freeOrder.removeLastOccurrence(block);
            freeBytes -= block.bytes();
        } else {
            while (!freeOrder.isEmpty() && blockBytesInUse + bytes + freeBytes > peakAskedBytes + slack) {
                evictOldest();
            }
            block = new Block(type, length, Nd4j.createUninitialized(type, length), bytes);
            allocations++;
            ALLOCATIONS.incrementAndGet();
            owned.put(block.owner().data(), block);
        }
        INDArray a = Nd4j.create(block.owner().data(), shape); // over the buffer's first `length` elements
        inUse.put(a, new Lent(block, bytes));
        blockBytesInUse += block.bytes();
        askedBytesInUse += bytes;
        return a;
    }

    /**
     * Removes and returns the smallest free block of {@code type} with at least {@code length}
     * elements, if the bytes it leaves unused fit in {@code unusedAllowed}; else null (a larger block
     * would leave more).
     */
    private Block bestFit(DataType type, long length, long unusedAllowed) {
        TreeMap<Long, ArrayDeque<Block>> byLength = free.get(type);
        Map.Entry<Long, ArrayDeque<Block>> fit = byLength == null ? null : byLength.ceilingEntry(length);
        if (fit == null || (fit.getKey() - length) * type.width() > unusedAllowed) {
            return null;
        }
        Block block = fit.getValue().pollLast(); // the most recently given back: warmest in cache
        if (fit.getValue().isEmpty()) {
            byLength.remove(fit.getKey());
        }
        return block;
    }

    private boolean giveBackHere(INDArray a) {
        Lent lent = inUse.remove(a);
        if (lent == null) {
            return !a.wasClosed() && owned.containsKey(a.data());
        }
        Block block = lent.block();
        blockBytesInUse -= block.bytes();
        askedBytesInUse -= lent.bytes();
        if (block.owner().wasClosed()) {
            owned.remove(block.owner().data()); // closed directly, against the rule above: never hand it out
            return true;
        }
        free.computeIfAbsent(block.type(), t -> new TreeMap<>())
                .computeIfAbsent(block.length(), n -> new ArrayDeque<>()).addLast(block);
        freeOrder.addLast(block);
        freeBytes += block.bytes();
        return true;
    }

    private void evictOldest() {
        Block oldest = freeOrder.pollFirst();
        TreeMap<Long, ArrayDeque<Block>> byLength = free.get(oldest.type());
        ArrayDeque<Block> same = byLength.get(oldest.length());
        same.removeFirstOccurrence(oldest);
        if (same.isEmpty()) {
            byLength.remove(oldest.length());
        }
        freeBytes -= oldest.bytes();
        owned.remove(oldest.owner().data());
        oldest.owner().close();
    }
}
