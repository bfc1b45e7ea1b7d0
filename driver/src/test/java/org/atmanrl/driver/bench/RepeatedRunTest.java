package org.atmanrl.driver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepeatedRunTest {
    @Test
    void alternatingRunsTakeTurnsAndTimeEachApart() {
        List<String> order = new ArrayList<>();
        RepeatedRun runs = new RepeatedRun(1, 2, new PrintWriter(new StringWriter()));
        List<Timings> t = runs.alternate(List.of("a", "b"), List.of(() -> order.add("a"), () -> order.add("b")));
        assertEquals(List.of("a", "b", "a", "b", "a", "b"), order, "one warm-up round, then two measured rounds");
        assertEquals(2, t.size());
        assertEquals(2, t.get(0).seconds().size());
        assertEquals(2, t.get(1).seconds().size());
    }
}
