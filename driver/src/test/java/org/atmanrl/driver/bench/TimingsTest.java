package org.atmanrl.driver.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class TimingsTest {
    @Test
    void medianOfAnOddCountIsTheMiddleRun() {
        assertEquals(2.0, new Timings(List.of(3.0, 1.0, 2.0)).median());
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleRuns() {
        assertEquals(2.5, new Timings(List.of(4.0, 1.0, 3.0, 2.0)).median());
    }

    @Test
    void minAndMaxAreTheFastestAndSlowestRuns() {
        Timings t = new Timings(List.of(4.0, 1.0, 3.0, 2.0));
        assertEquals(1.0, t.min());
        assertEquals(4.0, t.max());
    }

    @Test
    void keepsTheRunOrder() {
        assertEquals(List.of(3.0, 1.0), new Timings(List.of(3.0, 1.0)).seconds());
    }

    @Test
    void needsARun() {
        assertThrows(IllegalArgumentException.class, () -> new Timings(List.of()));
    }
}
