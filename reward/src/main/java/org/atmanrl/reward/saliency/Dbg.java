package org.atmanrl.reward.saliency;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
public final class Dbg {
    static final ConcurrentSkipListMap<String, LongAdder> T = new ConcurrentSkipListMap<>();
    static { Runtime.getRuntime().addShutdownHook(new Thread(() -> T.forEach((k, v) -> System.err.printf("DBGT %-20s %8.3f s%n", k, v.sum() / 1e9)))); }
    public static long now() { return System.nanoTime(); }
    public static long add(String k, long t0) { long t = System.nanoTime(); T.computeIfAbsent(k, x -> new LongAdder()).add(t - t0); return t; }
}
