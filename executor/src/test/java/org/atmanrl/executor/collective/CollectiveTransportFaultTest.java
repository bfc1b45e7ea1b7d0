package org.atmanrl.executor.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.atmanrl.model.NamedArrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A rank blocked on a dead peer is released within the timeout by an exception naming the peer,
 * and nothing is left behind: no thread, no open socket (docs/design.md 3.5).
 */
class CollectiveTransportFaultTest {
    private static final String RUN = "run-fault-test";
    private static final long IO_MS = 1500;
    /** Scheduling slack on a shared two-core machine. */
    private static final long SLACK_MS = 4000;

    private record Outcome(Throwable error, long millis) {}

    /**
     * The JDK opens one socket of its own the first time a socket channel is closed (a socket pair
     * kept for closing descriptors safely) and keeps it: made before any test counts sockets.
     */
    @BeforeAll
    static void warmUp() throws Exception {
        Ranks.closeAll(Ranks.connect(2, RUN, Ranks.key(), Ranks.timeouts(30_000, 30_000)));
    }

    private static NamedArrays model() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) shapes.put("w" + i, new long[] {4, 4});
        return NamedArrays.zeros(shapes);
    }

    /** Ranks 0..p−2 run a reduce-scatter; what each one ends with, and after how long. */
    private static List<Outcome> reduceScatterWithout(List<TcpTransport> ts, int absent) throws Exception {
        NamedArrays g = model();
        Shards shards = Shards.split(g, ts.size());
        List<Future<Outcome>> futures = Ranks.submit(ts.size(), r -> () -> {
            if (r == absent) return null;
            long start = System.nanoTime();
            try {
                new Collective(ts.get(r), shards).reduceScatter(g);
                return new Outcome(null, (System.nanoTime() - start) / 1_000_000);
            } catch (IOException e) {
                return new Outcome(e, (System.nanoTime() - start) / 1_000_000);
            }
        });
        List<Outcome> out = new ArrayList<>();
        for (Future<Outcome> f : futures) out.add(f.get(60, TimeUnit.SECONDS));
        return out;
    }

    private static List<TcpTransport.Listener> listeners(int p) throws IOException {
        List<TcpTransport.Listener> out = new ArrayList<>();
        for (int r = 0; r < p; r++) out.add(TcpTransport.listen(Ranks.LOOPBACK));
        return out;
    }

    private static List<InetSocketAddress> addresses(List<TcpTransport.Listener> listeners) throws IOException {
        List<InetSocketAddress> out = new ArrayList<>();
        for (TcpTransport.Listener l : listeners) out.add(l.address());
        return out;
    }

    /** Rank 0 of {@code ts} receiving from rank 1, which sends nothing: what it ends with. */
    private static Future<Throwable> receiveFromSilentPeer(List<TcpTransport> ts, Thread[] blocked) {
        return Ranks.<Throwable>submit(1, r -> () -> {
            blocked[0] = Thread.currentThread();
            try {
                ts.get(0).receive(1, ByteBuffer.allocate(8));
                return null;
            } catch (IOException e) {
                return e;
            }
        }).get(0);
    }

    private static void assertNothingLeft(List<TcpTransport> ts, Set<Thread> threadsBefore, int socketsBefore)
            throws Exception {
        Ranks.closeAll(ts);
        for (TcpTransport t : ts) assertEquals(0, t.openSockets(), t + " holds sockets");
        assertEquals(List.of(), Ranks.newThreads(threadsBefore), "threads left behind");
        if (socketsBefore >= 0) assertEquals(socketsBefore, Ranks.openSocketFds(), "sockets left open");
    }

    @Test
    void aSilentPeerTimesOutNamingItWithinTheTimeout() throws Exception {
        Set<Thread> threads = Ranks.threads();
        int sockets = Ranks.openSocketFds();
        List<TcpTransport> ts = Ranks.connect(3, RUN, Ranks.key(), Ranks.timeouts(30_000, IO_MS));
        List<Outcome> out = reduceScatterWithout(ts, 2); // rank 2 is connected but never takes part
        for (int r = 0; r < 2; r++) {
            Outcome o = out.get(r);
            PeerTimeoutException e = assertInstanceOf(PeerTimeoutException.class, o.error(), "rank " + r);
            assertEquals(2, e.peer());
            assertTrue(e.getMessage().matches("rank " + r + ": rank 2 \\(/127\\.0\\.0\\.1:\\d+\\) moved no byte for "
                    + IO_MS + " ms \\(the I/O timeout\\) while this rank was receiving a frame.*"), e.getMessage());
            assertTrue(o.millis() >= IO_MS - 10 && o.millis() < IO_MS + SLACK_MS, "rank " + r + " took " + o.millis());
            assertEquals(0, ts.get(r).openSockets(), "a failed transport closes itself");
        }
        assertNothingLeft(ts, threads, sockets);
    }

    @Test
    void aPeerThatDiesFailsTheOthersAtOnce() throws Exception {
        Set<Thread> threads = Ranks.threads();
        int sockets = Ranks.openSocketFds();
        List<TcpTransport> ts = Ranks.connect(3, RUN, Ranks.key(), Ranks.timeouts(30_000, 60_000));
        ts.get(2).close(); // its process is gone: the kernel closes its sockets
        List<Outcome> out = reduceScatterWithout(ts, 2);
        for (int r = 0; r < 2; r++) {
            PeerException e = assertInstanceOf(PeerException.class, out.get(r).error(), "rank " + r);
            assertEquals(2, e.peer(), e.getMessage());
            assertTrue(e.getMessage().startsWith("rank " + r + ": "), e.getMessage());
            assertTrue(out.get(r).millis() < SLACK_MS, "rank " + r + " took " + out.get(r).millis() + " ms");
        }
        assertNothingLeft(ts, threads, sockets);
    }

    @Test
    void aRankThatNeverJoinsTimesOutTheSetupNamingIt() throws Exception {
        Set<Thread> threads = Ranks.threads();
        int sockets = Ranks.openSocketFds();
        List<TcpTransport.Listener> listeners = listeners(3);
        List<InetSocketAddress> addresses = addresses(listeners);
        listeners.get(2).close(); // rank 2 never comes
        byte[] key = Ranks.key();
        List<Future<TcpTransport>> joins = Ranks.submit(2,
                r -> () -> listeners.get(r).join(RUN, r, addresses, key, Ranks.timeouts(IO_MS, IO_MS)));
        for (int r = 0; r < 2; r++) {
            long start = System.nanoTime();
            ExecutionException x = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    joins.get(0 + r)::get);
            long waited = (System.nanoTime() - start) / 1_000_000;
            PeerTimeoutException e = assertInstanceOf(PeerTimeoutException.class, x.getCause());
            assertEquals(2, e.peer());
            assertEquals("rank " + r + ": rank [2] did not connect within " + IO_MS + " ms", e.getMessage());
            assertTrue(waited < IO_MS + SLACK_MS, "waited " + waited + " ms");
        }
        assertNothingLeft(List.of(), threads, sockets);
    }

    /**
     * What a failed barrier stage leaves: Spark marks the surviving rank's task killed without
     * interrupting it, while it waits for a dead rank to connect. The mark ends the wait within a
     * poll, long before the connect timeout; then, connected, a receive from a silent peer too.
     */
    @Test
    void aRankWaitingForADeadPeerIsReleasedByItsTasksKillMark() throws Exception {
        Set<Thread> threads = Ranks.threads();
        int sockets = Ranks.openSocketFds();
        List<TcpTransport.Listener> listeners = listeners(2);
        List<InetSocketAddress> addresses = addresses(listeners);
        listeners.get(0).close(); // rank 0's executor is gone: rank 1's connections are refused
        AtomicBoolean killed = new AtomicBoolean();
        Future<TcpTransport> join = Ranks.<TcpTransport>submit(1, r -> () -> listeners.get(1).join(RUN, 1, addresses,
                Ranks.key(), Ranks.timeouts(60_000, 60_000), killed::get)).get(0);
        Thread.sleep(300);
        long start = System.nanoTime();
        killed.set(true);
        ExecutionException x = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> join.get(SLACK_MS, TimeUnit.MILLISECONDS));
        assertEquals("rank 1: cancelled (its task was killed)",
                assertInstanceOf(InterruptedIOException.class, x.getCause()).getMessage());
        assertTrue((System.nanoTime() - start) / 1_000_000 < TcpTransport.POLL_MILLIS + SLACK_MS);
        assertNothingLeft(List.of(), threads, sockets);

        AtomicBoolean receiverKilled = new AtomicBoolean();
        List<TcpTransport.Listener> pair = listeners(2);
        List<InetSocketAddress> both = addresses(pair);
        byte[] key = Ranks.key();
        List<Future<TcpTransport>> joins = Ranks.submit(2, r -> () -> pair.get(r).join(RUN, r, both, key,
                Ranks.timeouts(30_000, 60_000), r == 0 ? receiverKilled::get : () -> false));
        List<TcpTransport> ts = List.of(joins.get(0).get(), joins.get(1).get());
        Future<Throwable> f = receiveFromSilentPeer(ts, new Thread[1]);
        Thread.sleep(300);
        receiverKilled.set(true);
        assertInstanceOf(InterruptedIOException.class, f.get(SLACK_MS, TimeUnit.MILLISECONDS));
        assertNothingLeft(ts, threads, sockets);
    }

    @Test
    void aRankBlockedOnASilentPeerIsReleasedByAnInterrupt() throws Exception {
        releasedBy(true);
    }

    @Test
    void aRankBlockedOnASilentPeerIsReleasedByCloseFromAnotherThread() throws Exception {
        releasedBy(false);
    }

    private static void releasedBy(boolean interrupt) throws Exception {
        Set<Thread> threads = Ranks.threads();
        int sockets = Ranks.openSocketFds();
        List<TcpTransport> ts = Ranks.connect(2, RUN, Ranks.key(), Ranks.timeouts(30_000, 60_000));
        Thread[] blocked = new Thread[1];
        Future<Throwable> f = receiveFromSilentPeer(ts, blocked);
        while (blocked[0] == null) Thread.sleep(10);
        Thread.sleep(200);
        long start = System.nanoTime();
        if (interrupt) {
            blocked[0].interrupt(); // what Spark does to a task it kills
            assertInstanceOf(InterruptedIOException.class, f.get(SLACK_MS, TimeUnit.MILLISECONDS));
        } else {
            ts.get(0).close();
            assertInstanceOf(IOException.class, f.get(SLACK_MS, TimeUnit.MILLISECONDS));
        }
        assertTrue((System.nanoTime() - start) / 1_000_000 < SLACK_MS);
        assertNothingLeft(ts, threads, sockets);
    }
}
