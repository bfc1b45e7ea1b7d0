package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.atmanrl.reward.data.IntegerVerifier;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.junit.jupiter.api.Test;

class PromptOrderTest {
    static final ProblemSet SET = ProblemSet.lazy("numbers", 10,
            i -> new Problem("p" + i, "Q" + i, new int[] {i + 1}, Integer.toString(i), null, IntegerVerifier.DEFAULT));

    static List<String> ids(PromptOrder order, long from, int n) {
        List<String> ids = new ArrayList<>();
        for (long p = from; p < from + n; p++) ids.add(order.at(p).id());
        return ids;
    }

    @Test
    void everyEpochVisitsEveryPromptOnce() {
        PromptOrder order = new PromptOrder(SET, 3);
        for (int epoch = 0; epoch < 3; epoch++) {
            Set<String> seen = new HashSet<>(ids(order, epoch * 10L, 10));
            assertEquals(10, seen.size(), "epoch " + epoch);
        }
        assertNotEquals(ids(order, 0, 10), ids(order, 10, 10), "each epoch is shuffled anew");
    }

    @Test
    void theOrderIsAFunctionOfSeedAndPositionOnly() {
        List<String> straight = ids(new PromptOrder(SET, 3), 0, 25);
        PromptOrder jumping = new PromptOrder(SET, 3);
        assertEquals(straight.subList(17, 25), ids(jumping, 17, 8), "a resumed run continues the same order");
        assertEquals(straight.subList(0, 5), ids(jumping, 0, 5));
        assertNotEquals(straight, ids(new PromptOrder(SET, 4), 0, 25));
    }
}
