package org.atmanrl.executor.collective;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** P ranks as threads on loopback, for the collective and transport tests. */
final class Ranks {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private Ranks() {
    }

    static byte[] key() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    static TcpTransport.Timeouts timeouts(long connectMs, long ioMs) {
        return new TcpTransport.Timeouts(Duration.ofMillis(connectMs), Duration.ofMillis(ioMs));
    }

    /** P transports of one run, connected. */
    static List<TcpTransport> connect(int p, String runId, byte[] key, TcpTransport.Timeouts timeouts)
            throws Exception {
        List<TcpTransport.Listener> listeners = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (int r = 0; r < p; r++) {
            TcpTransport.Listener l = TcpTransport.listen(LOOPBACK);
            listeners.add(l);
            addresses.add(l.address());
        }
        return parallel(p, r -> () -> listeners.get(r).join(runId, r, addresses, key, timeouts));
    }

    /** Runs {@code task(r)} for r = 0..p−1 on p threads and returns their results in rank order. */
    static <T> List<T> parallel(int p, IntFunction<Callable<T>> task) throws Exception {
        List<Future<T>> futures = submit(p, task);
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            try {
                out.add(f.get(120, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception x) throw x;
                throw e;
            }
        }
        return out;
    }

    /** Starts {@code task(r)} for each rank on its own thread; the pool is shut down once they end. */
    static <T> List<Future<T>> submit(int p, IntFunction<Callable<T>> task) {
        ExecutorService pool = Executors.newFixedThreadPool(p);
        List<Future<T>> futures = new ArrayList<>();
        for (int r = 0; r < p; r++) futures.add(pool.submit(task.apply(r)));
        pool.shutdown();
        return futures;
    }

    static void closeAll(List<? extends Transport> transports) {
        for (Transport t : transports) t.close();
    }

    /** The threads alive now. */
    static Set<Thread> threads() {
        return new HashSet<>(Thread.getAllStackTraces().keySet());
    }

    /** Threads alive now that were not in {@code before}, after giving finished pools a moment to end. */
    static List<String> newThreads(Set<Thread> before) throws InterruptedException {
        List<String> extra = new ArrayList<>();
        for (int attempt = 0; attempt < 50; attempt++) {
            extra.clear();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (!before.contains(t) && t.isAlive()) extra.add(t.getName());
            }
            if (extra.isEmpty()) return extra;
            Thread.sleep(100);
        }
        return extra;
    }

    /** The process's open sockets (Linux: /proc/self/fd links to "socket:[…]"); −1 where unknown. */
    static int openSocketFds() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) return -1;
        int n = 0;
        try (var list = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) list::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) n++;
                } catch (IOException e) {
                    // closed while listing
                }
            }
        }
        return n;
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x));
        return sb.toString();
    }

    static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
