package org.atmanrl.driver.spark;

import java.util.SplittableRandom;
import org.atmanrl.model.RowRandom;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;

/**
 * The order in which a run visits its training prompts: epoch after epoch, each a permutation of
 * the whole set shuffled by a key of (seed, epoch). Step {@code s} takes the prompts at positions
 * {@code s*B .. s*B+B-1}, so the data position of a checkpoint is {@code s*B} and a resumed run
 * continues exactly where the stopped one was. Every prompt is seen once per epoch (a finite GSM8K
 * file is not drawn with replacement).
 */
final class PromptOrder {
    private static final long SHUFFLE = 0x73687566666c65L;

    private final ProblemSet set;
    private final long seed;
    private long epoch = -1;
    private int[] permutation;

    PromptOrder(ProblemSet set, long seed) {
        if (set.size() == 0) {
            throw new IllegalArgumentException("no training prompts in " + set.name());
        }
        this.set = set;
        this.seed = seed;
    }

    /** The prompt at {@code position} (0-based) of the run's order. */
    Problem at(long position) {
        long e = position / set.size();
        if (e != epoch) {
            permutation = shuffled(set.size(), RowRandom.mix(RowRandom.mix(seed, SHUFFLE), e));
            epoch = e;
        }
        return set.get(permutation[(int) (position % set.size())]);
    }

    /** Fisher-Yates over {@code 0..n-1} with a generator seeded by {@code key}. */
    static int[] shuffled(int n, long key) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom random = new SplittableRandom(key);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
