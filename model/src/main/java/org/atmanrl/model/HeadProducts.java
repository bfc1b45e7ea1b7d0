package org.atmanrl.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The attention's batched products, {@code c[u] = op(a[u]) op(b[u])} for every (batch row, KV
 * head) {@code u} of {@code [B, KV, ., .]} arrays, in tiles of rows that OpenBLAS runs on the
 * calling thread alone, the tiles split over the cores (docs/design.md 6.1, "The attention's
 * products"). ND4J's batched matmul hands each product to all of OpenBLAS's threads in turn;
 * at the tiny config's {@code [512, 32] x [32, 256]} the threads' hand-offs cost as much as the
 * arithmetic, and one thread alone ran it about as fast as two.
 *
 * <p>A tile also skips the keys past its queries' visible spans ({@link VisibleKeys}): the score
 * columns a causal mask hides ({@link Cut#COLUMNS}) and the probabilities' zero tail in a sum over
 * keys ({@link Cut#INNER}). Each element is the same dot product, in the same order, as in one
 * product over the whole matrix; a skipped key would only have added exact zeros at the end.
 *
 * <p>Where a tile would be shorter than {@link #MIN_TILE_ROWS} (long keys, wide heads: the mid
 * config), on a backend other than the CPU one, or for views OpenBLAS cannot read, the products
 * stay ND4J's batched matmul over whole matrices, which OpenBLAS threads well at those sizes.
 */
final class HeadProducts {
    /**
     * OpenBLAS 0.3.19 (ND4J's) runs a GEMM whose {@code M*N*K} is at most this on the calling thread
     * ({@code interface/gemm.c}: {@code SMP_THRESHOLD_MIN} 65,536 times {@code
     * GEMM_MULTITHREAD_THRESHOLD} 4), so tiles of this size run on several cores at once.
     */
    static final long ONE_THREAD_MNK = 262_144;

    /** Tiles of fewer rows cost more in calls than the threads' hand-offs they save. */
    static final int MIN_TILE_ROWS = 16;

    /** Tiles a core takes at the least: a tile is some microseconds, waking a core some more. */
    private static final int MIN_TILES_PER_CORE = 8;

    /** Which of the product's dimensions a tile cuts at its queries' last visible key. */
    enum Cut {
        /** None: {@code c} gets every element. */
        NONE,
        /**
         * {@code c}'s rows are queries and its columns keys ({@code q k^T}, {@code dO v^T}): a tile's
         * columns from the largest span end of its rows on are left unwritten.
         */
        COLUMNS,
        /** {@code a}'s rows are queries and its columns keys, zero past each row's span ({@code p v}, {@code dS k}). */
        INNER
    }

    private HeadProducts() {}

    /**
     * {@code c[i, j] = op(a[i, j]) op(b[i, j])} for every {@code i < B}, {@code j < KV}, where
     * {@code op} transposes when asked.
     *
     * @param keys the visible spans of {@code c}'s rows ({@link Cut#COLUMNS}) or of {@code a}'s
     *             ({@link Cut#INNER}); unused with {@link Cut#NONE}
     */
    static void multiply(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c,
                         VisibleKeys keys, Cut cut) {
        if (cut == Cut.INNER && transA) {
            throw new IllegalArgumentException("the inner cut reads a's rows as queries; a must not be transposed");
        }
        int m = (int) c.size(2), n = (int) c.size(3), k = (int) (transA ? a.size(2) : a.size(3));
        long rows = ONE_THREAD_MNK / ((long) n * k);
        if (rows < MIN_TILE_ROWS || !DirectGemm.readable(a, b, c)) {
            Nd4j.matmul(a, b, c, transA, transB, false);
            return;
        }
        int kv = (int) c.size(1), units = (int) c.size(0) * kv;
        int tileRows = (int) Math.min(rows, m), tilesPerUnit = (m + tileRows - 1) / tileRows;
        CoreRanges.run(units * tilesPerUnit, MIN_TILES_PER_CORE, (from, to) -> {
            DirectGemm gemm = new DirectGemm(a, b, c);
            for (int tile = from; tile < to; tile++) {
                int u = tile / tilesPerUnit, row = u / kv, head = u % kv;
                int r0 = (tile % tilesPerUnit) * tileRows, r1 = Math.min(m, r0 + tileRows);
                int span = cut == Cut.NONE ? 0 : keys.maxHi(row, r0, r1);
                int tn = cut == Cut.COLUMNS ? span : n, tk = cut == Cut.INNER ? span : k;
                if (tn == 0) {
                    continue;
                }
                // op(A)'s rows r0.. start at A's row r0, or at its column r0 when transposed
                long aAt = offset(a, row, head) + (transA ? r0 : (long) r0 * a.stride(2));
                long cAt = offset(c, row, head) + (long) r0 * c.stride(2);
                if (tk == 0) {
                    gemm.zero(cAt, r1 - r0, tn);
                } else {
                    gemm.multiply(transA, transB, r1 - r0, tn, tk, aAt, offset(b, row, head), cAt);
                }
            }
        });
    }

    private static long offset(INDArray x, int row, int head) {
        return row * x.stride(0) + head * x.stride(1);
    }
}
