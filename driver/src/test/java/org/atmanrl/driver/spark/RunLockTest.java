package org.atmanrl.driver.spark;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.MiniHdfs;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.io.HadoopFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Run locks (docs/training-on-spark.md, "Run locks") on a local disk and on one in-process HDFS:
 * two runs racing for one directory (one proceeds, the other is told who holds it), release and
 * re-acquire, take-over of a stale lock (dead process on this host, expired lease elsewhere,
 * damaged file) and of none that is fresh, and a close that never removes another run's lock.
 */
class RunLockTest {
    private static final String ELSEWHERE = "elsewhere.invalid";
    private static final AtomicInteger DIRS = new AtomicInteger();

    @TempDir
    static File base;
    static MiniHdfs hdfs;
    static FileSystem local;

    @BeforeAll
    static void start() throws Exception {
        hdfs = MiniHdfs.start(base);
        local = HadoopFiles.fileSystem(new Path(base.toURI()), new Configuration());
    }

    @AfterAll
    static void stop() {
        if (hdfs != null) hdfs.close();
    }

    private static FileSystem fs(String kind) {
        return kind.equals("hdfs") ? hdfs.fs() : local;
    }

    /** A new directory's path (not created) on {@code kind}'s file system. */
    private static Path newDir(String kind) {
        String name = "runs/run-" + DIRS.incrementAndGet();
        return kind.equals("hdfs") ? hdfs.path("/" + name) : new Path(new File(base, name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void runsStartedTogetherOneProceedsTheOthersNameIt(String kind) throws Exception {
        race(kind, dir -> { });
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void runsRacingForAStaleLockOneTakesItOver(String kind) throws Exception {
        race(kind, dir -> {
            Path file = RunLock.fileOfDirectory(dir);
            writeLock(fs(kind), file, holder(ELSEWHERE, 4242, Instant.now()));
            fs(kind).setTimes(file, System.currentTimeMillis() - Duration.ofMinutes(10).toMillis(), -1);
        });
    }

    /** What is in a directory before the runs start. */
    private interface Before {
        void prepare(Path dir) throws IOException;
    }

    /**
     * Four runs acquire one directory at once, many times over: exactly one proceeds, the others
     * are refused naming it, and its release leaves the directory empty.
     */
    /**
     * Rounds of each race on the local disk (a tenth on HDFS): 40 keep the class within CI's
     * budget; the races were run with 120 when the lock was written, and -Drunlock.rounds=N runs
     * more.
     */
    private static final int ROUNDS = Integer.getInteger("runlock.rounds", 40);

    private static void race(String kind, Before before) throws Exception {
        FileSystem fs = fs(kind);
        int runners = 4;
        ExecutorService pool = Executors.newFixedThreadPool(runners);
        try {
            for (int i = 0; i < (kind.equals("hdfs") ? ROUNDS / 10 : ROUNDS); i++) {
                Path dir = newDir(kind);
                fs.mkdirs(dir);
                before.prepare(dir);
                CyclicBarrier together = new CyclicBarrier(runners);
                Callable<RunLock> run = () -> {
                    together.await(10, TimeUnit.SECONDS);
                    return RunLock.acquireDirectory(fs, dir, "output");
                };
                List<Future<RunLock>> runs = new ArrayList<>();
                for (int r = 0; r < runners; r++) runs.add(pool.submit(run));
                List<RunLock> won = new ArrayList<>();
                List<String> refused = new ArrayList<>();
                for (Future<RunLock> f : runs) {
                    try {
                        won.add(f.get(60, TimeUnit.SECONDS));
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (!(e.getCause() instanceof UserInputException)) throw e;
                        refused.add(e.getCause().getMessage());
                    }
                }
                assertEquals(1, won.size(), "round " + i + ": " + refused);
                RunLock winner = won.get(0);
                String named = "output " + dir + " is locked by a run on host " + RunLock.ThisProcess.HOST
                        + ", process " + RunLock.ThisProcess.PID + ", since " + winner.holder().started()
                        + " (lease renewed N s ago); wait for it to end or stop it";
                assertEquals(java.util.Collections.nCopies(runners - 1, named), seconds(refused), "round " + i);
                assertEquals(winner.holder(), readHolder(fs, winner.file()));
                winner.close();
                // a claim on the stale lock stays if a run other than its taker placed the new lock
                List<String> left = names(fs, dir);
                assertTrue(left.isEmpty() || left.size() == 1 && left.get(0).endsWith(".takeover"),
                        "round " + i + ": release leaves nothing but a claim behind: " + left);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void aSecondRunInOneProcessIsRefusedUntilTheFirstReleases(String kind) throws Exception {
        FileSystem fs = fs(kind);
        Path dir = newDir(kind);
        RunLock first = RunLock.acquireDirectory(fs, dir, "output");
        assertEquals(List.of(RunLock.FILE), names(fs, dir));
        UserInputException e = assertThrows(UserInputException.class, () -> RunLock.acquireDirectory(fs, dir, "output"));
        assertTrue(e.getMessage().contains("process " + RunLock.ThisProcess.PID), e.getMessage());
        assertEquals(first.holder(), readHolder(fs, first.file()), "the refused run left the lock alone");
        first.close();
        first.close(); // twice is harmless
        try (RunLock again = RunLock.acquireDirectory(fs, dir, "output")) {
            assertEquals(again.holder(), readHolder(fs, again.file()));
        }
        assertFalse(fs.exists(RunLock.fileOfDirectory(dir)));
    }

    /** A real second job, on the local disk only: a JVM with this classpath takes some 15 s to start here. */
    @Test
    void aJobInAnotherProcessIsNamedAndItsLockTakenOverOnceItIsKilled() throws Exception {
        FileSystem fs = local;
        Path dir = newDir("local");
        File errors = new File(base, "holder-" + DIRS.incrementAndGet() + ".err");
        Process other = new ProcessBuilder(Path.SEPARATOR.equals("/") ? System.getProperty("java.home") + "/bin/java"
                : "java", "-cp", System.getProperty("java.class.path"), RunLockHolder.class.getName(), dir.toString())
                .redirectError(errors).start();
        try {
            String said = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8)).readLine();
            assertNotNull(said, () -> "the other job ended: " + tail(errors));
            assertTrue(said.startsWith("held "), said);
            UserInputException e = assertThrows(UserInputException.class, () -> RunLock.acquireDirectory(fs, dir, "output"));
            assertEquals("output " + dir + " is locked by a run on host " + RunLock.ThisProcess.HOST + ", process "
                    + other.pid() + ", since " + said.substring(5) + " (lease renewed N s ago); wait for it to end or"
                    + " stop it", seconds(List.of(e.getMessage())).get(0));
        } finally {
            other.destroyForcibly();
            other.waitFor();
        }
        // killed, so it never released its lock: its process is gone, so the lock is taken over at once
        assertTrue(fs.exists(RunLock.fileOfDirectory(dir)));
        assertTakesOver(fs, dir);
    }

    private static String tail(File f) {
        try {
            String text = java.nio.file.Files.readString(f.toPath());
            return text.substring(Math.max(0, text.length() - 2000));
        } catch (IOException e) {
            return "(no stderr: " + e.getMessage() + ")";
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void theLockOfADeadProcessOnThisHostIsTakenOver(String kind) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        assertTrue(ProcessHandle.of(gone.pid()).isEmpty());
        FileSystem fs = fs(kind);
        Path dir = dirLockedBy(kind, holder(RunLock.ThisProcess.HOST, gone.pid(), Instant.now()));
        try (RunLock lock = RunLock.acquireDirectory(fs, dir, "output")) {
            assertEquals(lock.holder(), readHolder(fs, lock.file()));
            List<String> names = names(fs, dir);
            assertEquals(2, names.size(), "the lock and the claim on the stale one, which is gone: " + names);
            assertTrue(names.get(1).startsWith(RunLock.FILE + ".") && names.get(1).endsWith(".takeover"), names.get(1));
        }
        assertEquals(List.of(), names(fs, dir), "its taker removes the claim with its lock");
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void aPidNowOfAProcessStartedAfterTheLockIsNoHolder(String kind) throws Exception {
        // this JVM's pid, but a lock taken long before this JVM started: the pid was reused
        assertTakesOver(fs(kind), dirLockedBy(kind, holder(RunLock.ThisProcess.HOST, RunLock.ThisProcess.PID,
                Instant.parse("2001-01-01T00:00:00Z"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void anotherHostsLockIsTakenOverOnlyOnceItsLeaseHasExpired(String kind) throws Exception {
        FileSystem fs = fs(kind);
        RunLock.Holder other = holder(ELSEWHERE, 4242, Instant.parse("2026-12-03T10:12:03Z"));
        Path dir = dirLockedBy(kind, other);
        Path file = RunLock.fileOfDirectory(dir);
        UserInputException e = assertThrows(UserInputException.class, () -> RunLock.acquireDirectory(fs, dir, "output"));
        assertEquals("output " + dir + " is locked by a run on host " + ELSEWHERE + ", process 4242, since"
                + " 2026-12-03T10:12:03Z (lease renewed N s ago); wait for it to end or stop it",
                seconds(List.of(e.getMessage())).get(0));
        // a minute later by the taker's clock the lease (2 minutes) still holds
        RunLock.Settings minuteLater = new RunLock.Settings(RunLock.DEFAULT_LEASE,
                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1)));
        e = assertThrows(UserInputException.class, () -> RunLock.acquireDirectory(fs, dir, "output", minuteLater));
        assertTrue(e.getMessage().matches(".*\\(lease renewed 6[0-9] s ago\\).*"), e.getMessage());
        assertEquals(other, readHolder(fs, file));
        // renewed last 10 minutes ago: taken over
        fs.setTimes(file, System.currentTimeMillis() - Duration.ofMinutes(10).toMillis(), -1);
        try (RunLock lock = RunLock.acquireDirectory(fs, dir, "output")) {
            assertEquals(lock.holder(), readHolder(fs, file));
            assertTrue(System.currentTimeMillis() - fs.getFileStatus(file).getModificationTime() < 60_000,
                    "the new lock's lease starts now");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void aDamagedLockFileIsTakenOverOnlyOnceALeaseHasPassed(String kind) throws Exception {
        FileSystem fs = fs(kind);
        for (byte[] damaged : List.of("{\"token\": ".getBytes(), "{\"pid\": 1}".getBytes(), new byte[70 << 10])) {
            Path dir = newDir(kind);
            Path file = RunLock.fileOfDirectory(dir);
            writeBytes(fs, file, damaged);
            UserInputException e = assertThrows(UserInputException.class, () -> RunLock.acquireDirectory(fs, dir, "output"));
            assertTrue(e.getMessage().startsWith("output " + dir + " is locked by " + file + ", which names no holder ("),
                    e.getMessage());
            assertEquals(1, e.getMessage().split(java.util.regex.Pattern.quote(file.toString()), -1).length - 1,
                    "names the file once: " + e.getMessage());
            assertTrue(seconds(List.of(e.getMessage())).get(0).endsWith("written N s ago, it is taken over once 120 s"
                    + " have passed"), e.getMessage());
            fs.setTimes(file, System.currentTimeMillis() - Duration.ofMinutes(3).toMillis(), -1);
            assertTakesOver(fs, dir);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void closeNeverRemovesAnotherRunsLock(String kind) throws Exception {
        FileSystem fs = fs(kind);
        Path dir = newDir(kind);
        RunLock mine = RunLock.acquireDirectory(fs, dir, "output");
        // taken over behind its back (as after a pause longer than the lease)
        RunLock.Holder other = holder(ELSEWHERE, 4242, Instant.now());
        fs.delete(mine.file(), false);
        writeLock(fs, mine.file(), other);
        mine.renew();
        assertEquals("lock file " + mine.file() + " was taken over by a run on host " + ELSEWHERE + ", process 4242,"
                + " since " + other.started(), mine.lost().orElseThrow());
        mine.close();
        assertEquals(other, readHolder(fs, mine.file()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void theHeartbeatRenewsTheLeaseAndPutsBackAMissingLock(String kind) throws Exception {
        FileSystem fs = fs(kind);
        Path dir = newDir(kind);
        try (RunLock lock = RunLock.acquireDirectory(fs, dir, "output",
                new RunLock.Settings(Duration.ofMillis(200), Clock.systemUTC()))) {
            fs.setTimes(lock.file(), 1_000_000L, -1);
            long deadline = System.currentTimeMillis() + 5_000;
            while (fs.getFileStatus(lock.file()).getModificationTime() == 1_000_000L) {
                assertTrue(System.currentTimeMillis() < deadline, "renewed within a few quarter leases");
                Thread.sleep(20);
            }
            // a racer has it moved aside for a moment: the holder puts it back rather than giving up
            fs.delete(lock.file(), false);
            lock.renew();
            assertEquals(lock.holder(), readHolder(fs, lock.file()));
            assertTrue(lock.lost().isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void aPromotionTargetIsLockedBesideIt(String kind) throws Exception {
        FileSystem fs = fs(kind);
        Path target = new Path(newDir(kind), "model");
        try (RunLock lock = RunLock.acquireTarget(fs, target, "promotion target")) {
            assertEquals(new Path(target.getParent(), ".model" + RunLock.FILE), lock.file());
            assertFalse(fs.exists(target), "the target is not created");
            UserInputException e = assertThrows(UserInputException.class,
                    () -> RunLock.acquireTarget(fs, target, "promotion target"));
            assertTrue(e.getMessage().startsWith("promotion target " + target + " is locked by a run on host "),
                    e.getMessage());
        }
        assertEquals(List.of(), names(fs, target.getParent()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void aRunDirectoryHoldingOnlyItsLockCountsAsEmpty(String kind) throws Exception {
        FileSystem fs = fs(kind);
        Path dir = newDir(kind);
        try (RunLock lock = RunLock.acquireDirectory(fs, dir, "output")) {
            RunDirectory run = new RunDirectory(fs, dir);
            assertDoesNotThrow(() -> run.requireFreshOrResumable(false));
            writeBytes(fs, new Path(dir, "notes.txt"), new byte[1]);
            UserInputException e = assertThrows(UserInputException.class, () -> run.requireFreshOrResumable(false));
            assertTrue(e.getMessage().contains("is not empty and holds no run"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void leftoversOfDeadRunsAreRemovedALeaseLater(String kind) throws Exception {
        FileSystem fs = fs(kind);
        Path dir = newDir(kind);
        long old = System.currentTimeMillis() - Duration.ofMinutes(10).toMillis();
        String oldNew = RunLock.FILE + "." + UUID.randomUUID() + ".new";
        String oldClaim = RunLock.FILE + "." + UUID.randomUUID() + ".takeover";
        String freshNew = RunLock.FILE + "." + UUID.randomUUID() + ".new";
        // a stale lock set aside keeps the stale lock's time, so its age does not say its taker died
        String aside = RunLock.FILE + "." + UUID.randomUUID() + ".stale";
        for (String name : List.of(oldNew, oldClaim, freshNew, aside)) {
            writeBytes(fs, new Path(dir, name), new byte[1]);
            if (!name.equals(freshNew)) fs.setTimes(new Path(dir, name), old, -1);
        }
        try (RunLock lock = RunLock.acquireDirectory(fs, dir, "output")) {
            assertEquals(java.util.stream.Stream.of(RunLock.FILE, freshNew, aside).sorted().toList(), names(fs, dir));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "hdfs"})
    void anOutputThatIsAFileOrUnderOneIsOneLine(String kind) throws Exception {
        FileSystem fs = fs(kind);
        Path file = new Path(newDir(kind), "plain");
        writeBytes(fs, file, new byte[1]);
        UserInputException e = assertThrows(UserInputException.class, () -> RunLock.acquireDirectory(fs, file, "output"));
        assertEquals("output " + file + " cannot be created: " + file + " is a file, not a directory", e.getMessage());
        Path under = new Path(file, "run");
        e = assertThrows(UserInputException.class, () -> RunLock.acquireTarget(fs, new Path(under, "model"),
                "promotion target"));
        assertEquals("promotion target " + new Path(under, "model") + " cannot be created: " + file
                + " is a file, not a directory", e.getMessage());
    }

    @Test
    void lockFileNames() {
        for (String name : List.of(".atmanrl.lock", ".model.atmanrl.lock", ".atmanrl.lock." + UUID.randomUUID() + ".new",
                ".model.atmanrl.lock." + UUID.randomUUID() + ".stale")) {
            assertTrue(RunLock.isLockFile(name), name);
        }
        for (String name : List.of("atmanrl.lock", "config.yaml", ".step-00000001.tmp-x", "model")) {
            assertFalse(RunLock.isLockFile(name), name);
        }
        assertThrows(IllegalArgumentException.class, () -> new RunLock.Settings(Duration.ofMillis(10), Clock.systemUTC()));
    }

    /** The messages with their "N s ago" as "N s ago": a loaded machine may take a second. */
    private static List<String> seconds(List<String> messages) {
        return messages.stream().map(m -> m.replaceAll("\\b\\d+ s ago", "N s ago")).toList();
    }

    private static RunLock.Holder holder(String host, long pid, Instant started) {
        return new RunLock.Holder(UUID.randomUUID().toString(), host, pid, started, RunLock.DEFAULT_LEASE.toMillis());
    }

    /** A new directory on {@code kind}'s file system with a lock file naming {@code h}. */
    private static Path dirLockedBy(String kind, RunLock.Holder h) throws IOException {
        Path dir = newDir(kind);
        writeLock(fs(kind), RunLock.fileOfDirectory(dir), h);
        return dir;
    }

    /** A run on {@code dir} gets the lock, and the lock file is its own. */
    private static void assertTakesOver(FileSystem fs, Path dir) throws IOException {
        try (RunLock lock = RunLock.acquireDirectory(fs, dir, "output")) {
            assertEquals(lock.holder(), readHolder(fs, lock.file()));
        }
    }

    private static void writeLock(FileSystem fs, Path file, RunLock.Holder h) throws IOException {
        writeBytes(fs, file, h.toJson());
    }

    private static void writeBytes(FileSystem fs, Path file, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(bytes);
        }
    }

    private static RunLock.Holder readHolder(FileSystem fs, Path file) throws IOException {
        byte[] bytes = HadoopFiles.readSmall(fs, file, 1 << 16);
        assertNotNull(bytes);
        return RunLock.Holder.parse(file.toString(), bytes);
    }

    private static List<String> names(FileSystem fs, Path dir) throws IOException {
        return Arrays.stream(fs.listStatus(dir)).map(FileStatus::getPath).map(Path::getName).sorted().toList();
    }
}
